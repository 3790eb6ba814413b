"""The staff pages' forms (Flask-WTF: each carries its CSRF token; messages in Vietnamese)."""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from einvoice.domain import payments
from einvoice.domain.corrections import SOFT_ERRORS, soft_error_label
from einvoice.domain.kinds import DocumentKind
from einvoice.services.corrections import REASON_MAX

_REQUIRED = "Vui lòng nhập {}"


def _form_key() -> HiddenField:
    return HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])


def _reason(label: str, missing: str) -> TextAreaField:
    too_long = f"Lý do dài tối đa {REASON_MAX} ký tự"
    return TextAreaField(label, validators=[DataRequired(missing), Length(max=REASON_MAX, message=too_long)])


class LoginForm(FlaskForm):  # type: ignore[misc]
    """Sign in with username and password."""

    username = StringField(
        "Tên đăng nhập", validators=[DataRequired(_REQUIRED.format("tên đăng nhập")), Length(max=80)]
    )
    password = PasswordField("Mật khẩu", validators=[DataRequired(_REQUIRED.format("mật khẩu")), Length(max=1024)])


class ReceiptForm(FlaskForm):  # type: ignore[misc]
    """Payer and payment of a counter receipt (the fees' quantities come as ``sl-<code>`` fields)."""

    form_key = _form_key()
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


class ReplacementForm(ReceiptForm):
    """The receipt replacing one made by mistake: the receipt form, the reason, and the confirmation's mark."""

    reason = _reason("Lý do thay thế", "Nhập lý do thay thế biên lai")
    confirmed = HiddenField()


def _soft_only(form: FlaskForm, field: SelectMultipleField) -> None:
    if any(error not in SOFT_ERRORS for error in field.data or ()):
        raise ValidationError(
            "Thông báo sai sót chỉ dùng cho sai tên, địa chỉ, số tiền bằng chữ; "
            "sai số tiền hoặc khoản thu phải thay thế biên lai"
        )


class ErrorNoticeForm(FlaskForm):  # type: ignore[misc]
    """An error notice (04/SS) for soft errors only: names, addresses, amount in words — never amounts or fees."""

    form_key = _form_key()
    soft_errors = SelectMultipleField(
        "Sai sót cần thông báo",
        choices=[],  # in the words of the document's kind: :meth:`for_kind`
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # _soft_only says why in Vietnamese
        validators=[DataRequired("Chọn ít nhất một sai sót"), _soft_only],
    )
    reason = _reason("Nội dung sai sót và thông tin đúng", "Nhập nội dung sai sót và thông tin đúng")

    @staticmethod
    def new_key() -> str:
        """Return a fresh key for one notice form (a repeated submit of it records nothing new)."""
        return ReceiptForm.new_key()

    def for_kind(self, kind: DocumentKind) -> ErrorNoticeForm:
        """Offer the soft errors in the words of a document of ``kind`` (a receipt's payer is người nộp)."""
        self.soft_errors.choices = [SelectChoice(code, soft_error_label(code, kind)) for code in SOFT_ERRORS]
        return self


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
