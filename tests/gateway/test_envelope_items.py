"""A message's items are read once: their exact bytes sliced from the message, their elements from the same parse."""

from __future__ import annotations

import pytest

from einvoice.xmldoc import envelope as env

HEAD = (
    b"<TTChung><PBan>2.1.0</PBan><MNGui>TCT</MNGui><MNNhan>0109999999</MNNhan><MLTDiep>204</MLTDiep>"
    b"<MTDiep>TCT0123</MTDiep><MTDTChieu>X1</MTDTChieu></TTChung>"
)


def _message(body: bytes) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n<TDiep>' + HEAD + b"<DLieu>" + body + b"</DLieu></TDiep>"


@pytest.mark.parametrize(
    "items",
    [
        [b"<TBao  Id='a' ><X>1</X>\n  <Y/></TBao >"],  # odd spacing and quotes survive as they came
        [b"<TBao><X>1</X></TBao>", b'<TBao Id="b"><X>2</X></TBao>'],
        [b"<TBao><!-- <TBao> in a comment --><X>1</X></TBao>"],  # the checked path
        [b"<TBao><X><![CDATA[1]]></X></TBao>"],
    ],
)
def test_items_are_the_exact_bytes_and_their_elements_come_with_them(items: list[bytes]) -> None:
    """Each item is the exact slice of the message, and ``elements`` are the same items, parsed, in order."""
    message = env.read_message(_message(b"".join(items)))
    assert list(message.items) == items
    assert [element.tag for element in message.elements] == ["TBao"] * len(items)
    assert [element.findtext("X") for element in message.elements] == [str(i + 1) for i in range(len(items))]


def test_a_nested_item_name_falls_back_to_the_same_tree() -> None:
    """An element of the item's name inside the item makes slicing ambiguous: the item is then serialised from its
    tree (the same canonical form, so a signature over it still verifies)."""
    message = env.read_message(_message(b"<TBao><TBao>inner</TBao></TBao>"))
    assert message.items == (b"<TBao><TBao>inner</TBao></TBao>",)
    assert message.elements[0][0].text == "inner"
