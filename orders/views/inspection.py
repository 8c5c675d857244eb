"""Inspection photos of the merchant's goods, served only to the company that owns them.

The order page shows each purchase-order line's photos as a gallery (thumbnails linking to the
full photo, the line's inspection result beside them); both sizes are read through these views,
scoped to the current company, so a photo of another company's goods answers 404 whatever
storage holds the files.
"""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from orders import selectors
from orders.models import InspectionPhoto
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability

# Photos never change under their generated names: the browser may keep them (privately).
PHOTO_MAX_AGE = 24 * 3600


def _photo_response(request, pk: int, *, thumbnail: bool) -> FileResponse:
    try:
        photo = selectors.inspection_photo_of(company=request.company, pk=pk)
    except InspectionPhoto.DoesNotExist:
        raise Http404 from None
    file = photo.thumbnail if thumbnail else photo.image
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = f"private, max-age={PHOTO_MAX_AGE}"
    return response


@company_required(Capability.VIEW)
@require_safe
def inspection_photo(request, pk: int):
    return _photo_response(request, pk, thumbnail=False)


@company_required(Capability.VIEW)
@require_safe
def inspection_photo_thumbnail(request, pk: int):
    return _photo_response(request, pk, thumbnail=True)
