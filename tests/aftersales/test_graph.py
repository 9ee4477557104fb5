from io import StringIO

from django.core.management import call_command

from aftersales.models import State


def test_graph_transitions_draws_every_state_of_the_request():
    out = StringIO()
    call_command("graph_transitions", "aftersales.AfterSalesRequest", stdout=out)
    dot = out.getvalue()
    assert dot.startswith("digraph")
    for state in State:
        assert f"state.{state.value}" in dot
    assert "approve" in dot and "escalate" in dot and "rule" in dot
