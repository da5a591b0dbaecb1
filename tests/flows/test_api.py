"""Python flows build the same steps as YAML flows, and plans can name them."""

from tapbot.flows import api, compile_flow_text, load_plan


def _no_source(value):
    if isinstance(value, dict):
        return {k: _no_source(v) for k, v in value.items() if k != "source"}
    if isinstance(value, list):
        return [_no_source(v) for v in value]
    return value


def strip(flow):
    return [_no_source(s.model_dump()) for s in flow.steps]


def test_python_steps_equal_the_yaml_steps():
    yaml_flow = compile_flow_text(
        "name: m\napp: Messages\n---\n- launchApp: Messages\n- tapOn: Alice\n"
        "- tapOn: {point: \"50%, 62%\"}\n- expectResponse: 300ms\n- swipe: LEFT\n"
        "- assertVisible: {text: Inbox, timeout: 2000}\n"
        "- repeat:\n    times: 2\n    commands:\n      - pressKey: back\n"
        "- measure: {name: settle, until: settled}\n")
    py_flow = api.flow(
        "m", api.launch_app("Messages"), api.tap_on("Alice"), api.tap_on(point="50%, 62%"),
        api.expect_response("300ms"), api.swipe("LEFT"), api.assert_visible("Inbox", timeout=2),
        api.repeat(2, api.press_key("back")), api.measure("settle"), app="Messages")
    assert strip(py_flow) == strip(yaml_flow)
    assert py_flow.name == yaml_flow.name and py_flow.app == yaml_flow.app


def test_a_plan_can_name_a_python_flow(tmp_path, monkeypatch):
    (tmp_path / "myflows.py").write_text(
        "from tapbot.flows import api\n"
        "def home_twice():\n"
        "    return api.flow('home twice', api.press_key('home'), api.press_key('home'))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text("iterations: 1\nflows:\n  - python: myflows:home_twice\n"
                         "  - python: myflows:nothing\n")
    import pytest

    from tapbot.flows import FlowValidationError

    with pytest.raises(FlowValidationError) as info:
        load_plan(plan_file)
    (issue,) = info.value.issues
    assert (issue.line, issue.column) == (4, 13) and "myflows:nothing" in issue.message
    plan_file.write_text("iterations: 1\nflows:\n  - python: myflows:home_twice\n")
    plan = load_plan(plan_file)
    assert [s.key for s in plan.entries[0].flow.steps] == ["home", "home"]
