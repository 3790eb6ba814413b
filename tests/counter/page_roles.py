"""The staff pages' routes (counter and finance) and who may open them (the API's role matrix leaves them here)."""

from __future__ import annotations

PUBLIC = "public"
C, F, A = "cashier", "finance", "admin"
SIGNED_IN = (C, F, A)

#: (rule, method) → PUBLIC or the roles let in. Anonymous visitors are sent to sign in; other roles get a 403 page.
PAGES: dict[tuple[str, str], str | tuple[str, ...]] = {
    ("/", "GET"): PUBLIC,
    ("/dang-nhap", "GET"): PUBLIC,
    ("/dang-nhap", "POST"): PUBLIC,
    ("/dang-xuat", "POST"): PUBLIC,
    ("/static/quay/<path:filename>", "GET"): PUBLIC,
    # The finance pages (einvoice.web.finance_pages): finance and the administrator, as the finance API.
    ("/static/tai-chinh/<path:filename>", "GET"): PUBLIC,
    ("/tai-chinh", "GET"): (F, A),
    ("/tai-chinh/doi-soat", "GET"): (F, A),
    ("/tai-chinh/chung-tu", "GET"): (F, A),
    ("/tai-chinh/xuat", "POST"): (F, A),
    ("/tai-chinh/xuat/<int:job_id>", "GET"): (F, A),
    ("/tai-chinh/xuat/<int:job_id>/huy", "POST"): (F, A),
    ("/tai-chinh/sao-ke", "GET"): (F, A),
    ("/tai-chinh/sao-ke", "POST"): (F, A),
    ("/tai-chinh/bao-cao/bang-tong-hop-bien-lai", "GET"): (F, A),
    ("/tai-chinh/bao-cao/su-dung", "GET"): (F, A),
    ("/quan-tri", "GET"): (A,),
    ("/quay", "GET"): (C,),
    ("/quay/bien-lai", "POST"): (C,),
    ("/quay/bien-lai/<int:document_id>", "GET"): SIGNED_IN,
    ("/quay/bien-lai/<int:document_id>/pdf", "GET"): SIGNED_IN,
    ("/quay/bien-lai/<int:document_id>/vietqr.png", "GET"): SIGNED_IN,
    ("/quay/bien-lai/<int:document_id>/thay-the", "GET"): (C,),
    ("/quay/bien-lai/<int:document_id>/thay-the", "POST"): (C,),
    ("/quay/bien-lai/<int:document_id>/sai-sot", "GET"): (C,),
    ("/quay/bien-lai/<int:document_id>/sai-sot", "POST"): (C,),
    ("/quay/sua-sai", "GET"): (C,),
    ("/quay/ca", "GET"): (C,),
    ("/quay/ca/<int:shift_id>", "GET"): SIGNED_IN,
    ("/quay/ca/<int:shift_id>/dong", "POST"): (C,),
    ("/quay/ca/<int:shift_id>/bao-cao.pdf", "GET"): SIGNED_IN,
    ("/quay/ho-so", "GET"): (C,),
    ("/quay/ho-so/<int:request_id>/huy", "POST"): (C,),
}
