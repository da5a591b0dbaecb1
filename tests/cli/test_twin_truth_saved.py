"""A twin run leaves its ground truth beside its documents, so it can be scored later."""

import subprocess
import sys


def tapbot(*args):
    return subprocess.run([sys.executable, "-c", "from tapbot.cli.main import main; main()",
                           *args], capture_output=True, text=True, timeout=600)


def test_a_demo_run_can_be_scored_against_its_ground_truth(tmp_path):
    res = tapbot("demo", "--duration", "2m", "--seed", "3", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    (run_dir,) = [p for p in tmp_path.iterdir() if (p / "documents.jsonl").is_file()]
    assert (run_dir / "twin-truth.json").is_file()
    scored = tapbot("twin", "score", run_dir.name, "--runs-dir", str(tmp_path))
    assert scored.returncode == 0, scored.stderr
    assert "latency" in scored.stdout.lower()
