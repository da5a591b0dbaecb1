import pytest
from pydantic import ValidationError

from tapbot.core import Dispatcher, Incident, RunStart, parse_document


def test_documents_round_trip_through_json():
    doc = Incident(run_id="r", t=12.5, incident="freeze", t_onset=10.0, t_end=12.0,
                   message="no response")
    again = parse_document(doc.model_dump_json())
    assert again == doc


def test_unknown_kind_is_rejected():
    with pytest.raises(ValidationError):
        parse_document({"kind": "banana", "run_id": "r", "t": 0})


def test_dispatcher_numbers_documents_and_isolates_failing_subscribers():
    seen = []

    def broken(doc):
        raise RuntimeError("disk full")

    d = Dispatcher()
    d.subscribe(broken)
    d.subscribe(seen.append)
    d.emit(RunStart(run_id="r", t=0, rig="twin", device="p", plan="x"))
    d.emit(RunStart(run_id="r", t=1, rig="twin", device="p", plan="x"))
    assert [doc.seq for doc in seen] == [1, 2]
    assert d.failures == 2
