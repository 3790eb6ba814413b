"""The roles of the people who use the service (vai trò), named once.

A cashier (thu ngân) issues on their own counter's series and sees their own documents; finance (kế toán) reads
everything; an admin (quản trị) manages configuration and users. The public reaches only the lookup pages and has no
role. Who may do what is stated beside each view (:func:`einvoice.web.auth.roles`) and in the services.
"""

from __future__ import annotations

from typing import Final

CASHIER: Final = "cashier"
FINANCE: Final = "finance"
ADMIN: Final = "admin"
#: Every role a user account can have, in the order the API documents them.
ROLES: Final = (CASHIER, FINANCE, ADMIN)
#: Every signed-in role: what a view open to all staff names.
STAFF: Final = ROLES
