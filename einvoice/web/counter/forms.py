"""The staff pages' forms (Flask-WTF: each carries its CSRF token; messages in Vietnamese)."""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from einvoice.domain import payments

_REQUIRED = "Vui lòng nhập {}"


class LoginForm(FlaskForm):  # type: ignore[misc]
    """Sign in with username and password."""

    username = StringField(
        "Tên đăng nhập", validators=[DataRequired(_REQUIRED.format("tên đăng nhập")), Length(max=80)]
    )
    password = PasswordField("Mật khẩu", validators=[DataRequired(_REQUIRED.format("mật khẩu")), Length(max=1024)])


class ReceiptForm(FlaskForm):  # type: ignore[misc]
    """Payer and payment of a counter receipt (the fees' quantities come as ``sl-<code>`` fields)."""

    form_key = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    fee_request_id = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}$")])
    payer_name = StringField(
        "Họ tên người nộp", validators=[DataRequired(_REQUIRED.format("họ tên người nộp")), Length(max=400)]
    )
    payer_id = StringField(
        "Số định danh cá nhân (CCCD) hoặc mã số thuế",
        validators=[Optional(), Regexp(r"^(\d{12}|\d{10}(-\d{3})?)$", message="Nhập 12 số CCCD hoặc 10 số mã số thuế")],
    )
    payer_address = StringField("Địa chỉ", validators=[Optional(), Length(max=400)])
    dossier_code = StringField(
        "Mã hồ sơ (một cửa)",
        validators=[Optional(), Length(max=50, message="Mã hồ sơ dài tối đa 50 ký tự")],
    )
    method = RadioField(
        "Hình thức thanh toán",
        choices=[SelectChoice(code, payments.METHODS[code]) for code in payments.COUNTER_METHODS],
        default=payments.CASH,
        validators=[InputRequired("Chọn hình thức thanh toán")],
    )
    cash_part = DecimalField(
        "Phần trả bằng tiền mặt (đồng)",
        places=None,
        validators=[Optional(), NumberRange(min=1, message="Số tiền mặt phải lớn hơn 0")],
    )

    @staticmethod
    def new_key() -> str:
        """Return a fresh key for one issuing form (a repeated submit of it issues nothing new)."""
        return secrets.token_urlsafe(24)


class CloseShiftForm(FlaskForm):  # type: ignore[misc]
    """Cash counted at the end of a shift; ``confirmed`` is set by the confirmation page's button."""

    cash_counted = DecimalField(
        "Tiền mặt đã đếm (đồng)",
        places=None,
        validators=[InputRequired("Nhập số tiền mặt đã đếm"), NumberRange(min=0, message="Số tiền không được âm")],
    )
    confirmed = HiddenField()


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something (sign out, cancel a request): only the CSRF token."""
