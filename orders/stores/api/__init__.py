"""Store connections through the API, by the same services as the pages: connecting a store,
its settings, pausing, resuming, new credentials and removing it (company owners and admins,
as on the pages), the connected stores with their health, their orders with status and reason,
variant mapping, publishing a portal product as a draft, retry. No answer carries a secret.

The endpoints are split by what they do: `reads` (stores, their orders and variants) and
`connections` (connecting and managing a store); `common` holds the router, schemas and checks
they share. Importing the package registers every endpoint on `router`.
"""

from orders.stores.api import connections, reads
from orders.stores.api.common import router

__all__ = ["connections", "reads", "router"]
