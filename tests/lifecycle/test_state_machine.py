"""The lifecycle state machine: every (state, action) pair against the table, and random walks keep its invariants."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from einvoice.domain.lifecycle import (
    TRANSMISSION_ACTIONS,
    Action,
    DocumentClass,
    IllegalTransition,
    Standing,
    State,
    Transmission,
    allowed,
    apply,
    document_class,
)

#: Columns: send, accept, reject, replace, adjust, explain (cancel: see the legacy tests). A cell is the transmission
#: (first three) or the standing (last three) after the action, "." when the action is refused. Legacy cancel off.
COLUMNS = (Action.SEND, Action.ACCEPT, Action.REJECT, Action.REPLACE, Action.ADJUST, Action.EXPLAIN)
TABLE = {
    DocumentClass.RECEIPT: """
pending  issued    sent      .         .         replaced  .         explained
pending  explained sent      .         .         replaced  .         explained
pending  adjusted  sent      .         .         .         .         .
pending  replaced  sent      .         .         .         .         .
pending  cancelled sent      .         .         .         .         .
sent     issued    .         accepted  rejected  replaced  .         explained
sent     explained .         accepted  rejected  replaced  .         explained
sent     adjusted  .         accepted  rejected  .         .         .
sent     replaced  .         accepted  rejected  .         .         .
sent     cancelled .         accepted  rejected  .         .         .
accepted issued    .         .         .         replaced  .         explained
accepted explained .         .         .         replaced  .         explained
accepted adjusted  .         .         .         .         .         .
accepted replaced  .         .         .         .         .         .
accepted cancelled .         .         .         .         .         .
rejected issued    .         .         .         .         .         .
rejected explained .         .         .         .         .         .
rejected adjusted  .         .         .         .         .         .
rejected replaced  .         .         .         .         .         .
rejected cancelled .         .         .         .         .         .
""",
    DocumentClass.CODED_INVOICE: """
pending  issued    sent      .         .         .         .         .
pending  explained sent      .         .         .         .         .
pending  adjusted  sent      .         .         .         .         .
pending  replaced  sent      .         .         .         .         .
pending  cancelled sent      .         .         .         .         .
sent     issued    .         accepted  rejected  .         .         .
sent     explained .         accepted  rejected  .         .         .
sent     adjusted  .         accepted  rejected  .         .         .
sent     replaced  .         accepted  rejected  .         .         .
sent     cancelled .         accepted  rejected  .         .         .
accepted issued    .         .         .         replaced  adjusted  explained
accepted explained .         .         .         replaced  adjusted  explained
accepted adjusted  .         .         .         .         adjusted  .
accepted replaced  .         .         .         .         .         .
accepted cancelled .         .         .         .         .         .
rejected issued    .         .         .         .         .         .
rejected explained .         .         .         .         .         .
rejected adjusted  .         .         .         .         .         .
rejected replaced  .         .         .         .         .         .
rejected cancelled .         .         .         .         .         .
""",
    DocumentClass.UNCODED_INVOICE: """
pending  issued    sent      .         .         replaced  adjusted  explained
pending  explained sent      .         .         replaced  adjusted  explained
pending  adjusted  sent      .         .         .         adjusted  .
pending  replaced  sent      .         .         .         .         .
pending  cancelled sent      .         .         .         .         .
sent     issued    .         accepted  rejected  replaced  adjusted  explained
sent     explained .         accepted  rejected  replaced  adjusted  explained
sent     adjusted  .         accepted  rejected  .         adjusted  .
sent     replaced  .         accepted  rejected  .         .         .
sent     cancelled .         accepted  rejected  .         .         .
accepted issued    .         .         .         replaced  adjusted  explained
accepted explained .         .         .         replaced  adjusted  explained
accepted adjusted  .         .         .         .         adjusted  .
accepted replaced  .         .         .         .         .         .
accepted cancelled .         .         .         .         .         .
rejected issued    .         .         .         .         .         .
rejected explained .         .         .         .         .         .
rejected adjusted  .         .         .         .         .         .
rejected replaced  .         .         .         .         .         .
rejected cancelled .         .         .         .         .         .
""",
}


def _expected() -> dict[tuple[DocumentClass, Transmission, Standing, Action], str]:
    cells = {}
    for cls, text in TABLE.items():
        for row in text.strip().splitlines():
            transmission, standing, *outcomes = row.split()
            for action, outcome in zip(COLUMNS, outcomes, strict=True):
                cells[cls, Transmission(transmission), Standing(standing), action] = outcome
    return cells


EXPECTED = _expected()


def test_the_table_covers_every_pair() -> None:
    """The table names every class × transmission × standing × action once (cancel aside)."""
    wanted = set(itertools.product(DocumentClass, Transmission, Standing, COLUMNS))
    assert set(EXPECTED) == wanted


@pytest.mark.parametrize(("cls", "transmission", "standing", "action"), sorted(EXPECTED))
def test_every_pair_follows_the_table(
    cls: DocumentClass, transmission: Transmission, standing: Standing, action: Action
) -> None:
    """Each action in each state goes where the table says, or is refused with a reason in both languages."""
    state = State(transmission, standing)
    outcome = EXPECTED[cls, transmission, standing, action]
    if outcome == ".":
        with pytest.raises(IllegalTransition) as refused:
            apply(state, action, cls)
        assert refused.value.message_vi
        assert refused.value.message_en
        assert not allowed(state, action, cls)
        return
    after = apply(state, action, cls)
    if action in TRANSMISSION_ACTIONS:
        assert after == State(Transmission(outcome), standing)
    else:
        assert after == State(transmission, Standing(outcome))


@pytest.mark.parametrize(
    ("cls", "transmission", "standing"), list(itertools.product(DocumentClass, Transmission, Standing))
)
def test_cancel_is_refused_without_the_legacy_setting(
    cls: DocumentClass, transmission: Transmission, standing: Standing
) -> None:
    """No state allows a plain cancel unless the legacy setting does (Circular 91 has no cancel procedure)."""
    with pytest.raises(IllegalTransition, match="no cancel procedure"):
        apply(State(transmission, standing), Action.CANCEL, cls)


@pytest.mark.parametrize(
    ("cls", "transmission", "standing"), list(itertools.product(DocumentClass, Transmission, Standing))
)
def test_legacy_cancel_is_allowed_exactly_where_an_explanation_is(
    cls: DocumentClass, transmission: Transmission, standing: Standing
) -> None:
    """With the legacy setting, cancel is allowed in the states an error notice is, and leads to cancelled."""
    state = State(transmission, standing)
    if allowed(state, Action.EXPLAIN, cls):
        assert apply(state, Action.CANCEL, cls, legacy_cancel=True) == State(transmission, Standing.CANCELLED)
    else:
        assert not allowed(state, Action.CANCEL, cls, legacy_cancel=True)


def test_adjusted_invoice_refuses_replacement_naming_the_rule() -> None:
    """Replacing an adjusted invoice is refused because the first method binds."""
    with pytest.raises(IllegalTransition, match="first method binds"):
        apply(State(Transmission.ACCEPTED, Standing.ADJUSTED), Action.REPLACE, DocumentClass.UNCODED_INVOICE)


def test_document_class_follows_kind_and_series() -> None:
    """C series are coded invoices, K series uncoded ones, receipts are receipts whatever their series."""
    assert document_class("invoice", "C26TAA") is DocumentClass.CODED_INVOICE
    assert document_class("invoice", "K26TAA") is DocumentClass.UNCODED_INVOICE
    assert document_class("receipt", "26TAA") is DocumentClass.RECEIPT


_ORDER = list(Transmission)
_FINAL = {Standing.REPLACED, Standing.CANCELLED}


@given(
    cls=st.sampled_from(DocumentClass),
    actions=st.lists(st.sampled_from(Action), max_size=30),
    legacy=st.booleans(),
)
def test_random_walks_keep_the_invariants(cls: DocumentClass, actions: list[Action], legacy: bool) -> None:
    """Along any sequence of actions: transmission only moves forward, final standings stay, rules hold."""
    state = State()
    for action in actions:
        try:
            after = apply(state, action, cls, legacy_cancel=legacy)
        except IllegalTransition:
            continue
        assert _ORDER.index(after.transmission) >= _ORDER.index(state.transmission)
        assert state.standing not in _FINAL or after.standing == state.standing
        assert not (state.standing is Standing.ADJUSTED and after.standing is Standing.REPLACED)
        assert cls is not DocumentClass.RECEIPT or after.standing is not Standing.ADJUSTED
        if action not in TRANSMISSION_ACTIONS:
            assert state.transmission is not Transmission.REJECTED
            assert cls is not DocumentClass.CODED_INVOICE or state.transmission is Transmission.ACCEPTED
            assert after.transmission == state.transmission
        else:
            assert after.standing == state.standing
        state = after
