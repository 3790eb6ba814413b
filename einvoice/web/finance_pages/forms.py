"""The finance pages' forms (Flask-WTF: each carries its CSRF token; messages in Vietnamese)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from einvoice.finance.statements import LAYOUTS


class StatementForm(FlaskForm):  # type: ignore[misc]
    """A bank statement file and the bank whose layout it has."""

    bank = SelectField(
        "Ngân hàng (mẫu sao kê)",
        choices=[SelectChoice(code, layout.name_vi) for code, layout in LAYOUTS.items()],
        validators=[InputRequired("Chọn ngân hàng của sao kê")],
    )
    statement = FileField(
        "Tệp sao kê (CSV hoặc XLSX tải từ ngân hàng)", validators=[FileRequired("Chọn tệp sao kê để nhập")]
    )
