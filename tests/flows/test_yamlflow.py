"""The YAML flow language: what compiles to which steps, and every error with its place."""

from pathlib import Path

import pytest

from tapbot.flows import (
    AssertVisible,
    ExpectResponse,
    FlowValidationError,
    Image,
    LaunchApp,
    Point,
    PressKey,
    Repeat,
    Retry,
    SubFlow,
    Swipe,
    Tap,
    Text,
    compile_flow_file,
    compile_flow_text,
)


def issues_of(text, tmp_path=None, name="f.yaml"):
    with pytest.raises(FlowValidationError) as info:
        compile_flow_text(text, name, base_dir=tmp_path)
    return [(i.line, i.column, i.message) for i in info.value.issues]


def test_commands_compile_to_typed_steps_with_their_source_position():
    flow = compile_flow_text(
        "name: demo\napp: Counter\n---\n"
        "- launchApp\n"
        "- tapOn: \"Send\"\n"
        "- tapOn: {point: \"50%, 62%\"}\n"
        "- expectResponse: 250ms\n"
        "- swipe: LEFT\n"
        "- back\n", "demo.yaml")
    launch, by_text, by_point, expect, sw, back = flow.steps
    assert flow.name == "demo" and flow.app == "Counter"
    assert launch == LaunchApp(app="Counter", source="demo.yaml:4:3")
    assert isinstance(by_text, Tap) and by_text.at == Text(text="Send")
    assert by_point.at == Point(x="50%", y="62%") and by_point.source == "demo.yaml:6:3"
    assert isinstance(expect, ExpectResponse) and expect.within_s == pytest.approx(0.25)
    assert isinstance(sw, Swipe)
    assert sw.start.x == "80%" and sw.end.x == "20%"  # finger moves right to left
    assert isinstance(back, PressKey) and back.key == "back"


def test_px_points_and_regions_resolve_against_the_screen():
    flow = compile_flow_text("---\n- tapOn: {point: \"540, 1200\"}\n"
                             "- pressKey: {key: home, animated: \"0%, 25%, 100%, 50%\"}\n")
    tap, key = flow.steps
    p = tap.at.resolve((1080, 2400))
    assert (p.x, p.y) == (540.0, 1200.0)
    a, b = key.animated[0].resolve((1080, 2400))
    assert (a.y, b.y) == (600.0, 1200.0)


def test_maestro_timeouts_are_milliseconds_and_units_are_understood():
    flow = compile_flow_text("---\n- assertVisible: {text: Inbox, timeout: 1500}\n"
                             "- wait: 2s\n- waitForAnimationToEnd: {timeout: 3000}\n")
    assert flow.steps[0].timeout_s == pytest.approx(1.5)
    assert flow.steps[1].seconds == pytest.approx(2.0)
    assert flow.steps[2].timeout_s == pytest.approx(3.0)


def test_repeat_retry_and_run_flow_with_env_nest_compiled_steps(tmp_path):
    (tmp_path / "sub.yaml").write_text("env:\n  WHO: nobody\n---\n- tapOn: \"Hi ${WHO}\"\n")
    (tmp_path / "main.yaml").write_text(
        "---\n- repeat:\n    times: 3\n    commands:\n      - tapOn: {point: \"1, 2\"}\n"
        "- retry:\n    maxRetries: 2\n    commands:\n      - assertVisible: Done\n"
        "- runFlow: {file: sub.yaml, env: {WHO: Ann}}\n- runFlow: sub.yaml\n")
    flow = compile_flow_file(tmp_path / "main.yaml")
    rep, retry, sub_env, sub_default = flow.steps
    assert isinstance(rep, Repeat) and rep.times == 3 and len(rep.steps) == 1
    assert isinstance(retry, Retry) and retry.max_retries == 2
    assert isinstance(retry.steps[0], AssertVisible)
    assert isinstance(sub_env, SubFlow) and sub_env.steps[0].at == Text(text="Hi Ann")
    assert sub_default.steps[0].at == Text(text="Hi nobody")
    assert sub_env.steps[0].source == f"{tmp_path / 'sub.yaml'}:4:3"


def test_image_selector_resolves_relative_to_the_flow_file(tmp_path):
    (tmp_path / "icon.png").write_bytes(b"not checked here")
    flow = compile_flow_text("---\n- tapOn: {image: icon.png, threshold: 0.9}\n",
                             base_dir=tmp_path)
    assert flow.steps[0].at == Image(image=tmp_path / "icon.png", threshold=0.9)


def test_every_error_is_reported_with_line_column_and_what_was_expected(tmp_path):
    found = issues_of(
        "name: bad\n---\n"
        "- tapOn\n"                                 # 3
        "- clearState\n"                            # 4
        "- fooBar: 1\n"                             # 5
        "- tapOn: {image: missing.png}\n"           # 6
        "- swipe: {direction: SIDEWAYS}\n"          # 7
        "- tapOn: {id: \"com.x:id/y\"}\n"           # 8
        "- tapOn: \"${NOPE}\"\n"                    # 9
        "- expectResponse: fast\n"                  # 10
        "- tapOn: A\n  extra: 1\n", tmp_path)       # 11
    lines = [f[0] for f in found]
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    text = "\n".join(f"{ln}:{col}: {m}" for ln, col, m in found)
    assert "3:3: tapOn: expected a selector" in text
    assert "4:3: unsupported Maestro command 'clearState'" in text
    assert "5:3: unknown command 'fooBar'; expected one of" in text
    assert "6:18: image file missing.png not found" in text
    assert "7:22: swipe: direction must be UP, DOWN, LEFT or RIGHT" in text
    assert "selector 'id' is not supported" in text
    assert "undefined variable ${NOPE}" in text
    assert "10:19: expected a duration" in text
    assert "11:3: expected one command per list item" in text


def test_malformed_yaml_names_the_line():
    (line, col, message), = issues_of("---\n- tapOn: X\n\t- back\n")
    assert message.startswith("malformed YAML") and "'\\t'" in message
    assert (line, col) == (3, 1)


def test_missing_and_cyclic_run_flow_are_errors_at_the_run_flow_line(tmp_path):
    (tmp_path / "a.yaml").write_text("---\n- runFlow: b.yaml\n")
    (tmp_path / "b.yaml").write_text("---\n- tapOn: X\n- runFlow: a.yaml\n")
    (tmp_path / "c.yaml").write_text("---\n- tapOn: X\n- runFlow: nowhere.yaml\n")
    with pytest.raises(FlowValidationError) as info:
        compile_flow_file(tmp_path / "a.yaml")
    cyc = info.value.issues[0]
    assert Path(cyc.path).name == "b.yaml" and (cyc.line, cyc.column) == (3, 12)
    assert "cyclic: a.yaml -> b.yaml -> a.yaml" in cyc.message
    with pytest.raises(FlowValidationError) as info:
        compile_flow_file(tmp_path / "c.yaml")
    miss = info.value.issues[0]
    assert (miss.line, miss.column) == (3, 12) and "nowhere.yaml cannot be read" in miss.message


def test_a_flow_without_commands_is_an_error():
    assert issues_of("name: x\n---\n[]\n")[0][2] == "the flow has no commands"
    assert "expected a list of commands" in issues_of("name: x\n---\ntapOn: y\n")[0][2]
