"""grader/notebook/execute.py's BoundedNotebookClient on iopub messages made here: what a
notebook prints is counted as it is kept, whatever it does with display ids, clearing
and errors, and a flood is cut in linear time."""
import time

import nbformat
import pytest

from grader import config
from grader.notebook.execute import BoundedNotebookClient


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setattr(config, "NOTEBOOK_OUTPUT_BYTES_PER_CELL", 10_000)
    monkeypatch.setattr(config, "NOTEBOOK_OUTPUT_BYTES", 40_000)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("") for _ in range(4)])
    client = BoundedNotebookClient(nb)
    client.reset_execution_trackers()  # as nbclient does before running a notebook,
    client.clear_before_next_output = False  # and before each cell
    return client


def message(kind, **content):
    return {"msg_type": kind, "content": content, "header": {"msg_type": kind, "date": None},
            "parent_header": {"msg_id": "m"}, "metadata": {}}


def stream(text):
    return message("stream", name="stdout", text=text)


def display(text, display_id=None):
    return message("display_data", data={"text/plain": text}, metadata={},
                   transient={"display_id": display_id} if display_id else {})


def send(client, index, msg):
    client.process_message(msg, client.nb.cells[index], index)


def kept(client):
    return sum(len(str(o)) for c in client.nb.cells for o in c.outputs)


def test_a_display_id_cannot_rewrite_an_earlier_cells_output(client):
    for i in range(5):
        send(client, 0, display("tiny", display_id=f"d{i}"))
    for i in range(5):
        send(client, 1, display("x" * 9000, display_id=f"d{i}"))
        send(client, 1, message("clear_output", wait=False))
    assert [o["data"]["text/plain"] for o in client.nb.cells[0].outputs] == ["tiny"] * 5
    assert client.nb.cells[1].outputs == []
    assert kept(client) < 1000


def test_clearing_with_wait_is_counted_at_the_next_output(client):
    for _ in range(50):
        send(client, 0, message("clear_output", wait=True))
        send(client, 0, display("x" * 9000))
    assert len(client.nb.cells[0].outputs) == 1
    assert client.total_bytes == client.cell_total[0] < 10_000


def test_errors_are_kept_but_cut(client):
    huge = message("error", ename="Exception", evalue="x" * 5_000_000,
                   traceback=["frame " + "y" * 100_000] * 1000)
    for index in range(4):
        send(client, index, huge)
    errors = [o for c in client.nb.cells for o in c.outputs if o["output_type"] == "error"]
    assert len(errors) == 4
    assert all(len(e["evalue"]) < 5000 and sum(map(len, e["traceback"])) <= 16_000 for e in errors)


def test_a_cells_flood_keeps_its_last_lines_in_linear_time(client):
    began = time.monotonic()
    for i in range(20_000):
        send(client, 2, stream(f"line {i}\n"))
    assert time.monotonic() - began < 30
    outputs = client.nb.cells[2].outputs
    assert outputs[-1]["text"] == "line 19999\n" and client.cell_total[2] <= 10_000
    assert 2 in client.truncated
    assert client.total_bytes == sum(client.cell_total.values())


def test_past_the_whole_notebooks_cap_outputs_are_dropped_and_said(client):
    for index in range(4):
        for _ in range(3):
            send(client, index, display("z" * 4000))
    assert client.total_bytes <= 40_000
    assert kept(client) <= 48_000
