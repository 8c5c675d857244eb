"""The URL the 1688 open platform pushes order messages to (set it as the app's message URL)."""

import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from catalog.adapters.open1688 import OpenPlatformError
from orders.services import alibaba

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def alibaba_message(request):
    """400 when not signed with our app secret or unreadable; 200 once recorded (a message
    about an order we did not place too), so 1688 stops pushing it."""
    try:
        pushed = alibaba.alibaba_message_receive(fields=request.POST.dict())
    except OpenPlatformError as error:
        logger.warning("rejected 1688 message: %s", error.code)
        return JsonResponse({"error": error.code}, status=400)
    return JsonResponse({"received": True, "ours": pushed is not None})
