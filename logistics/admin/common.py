"""What the logistics admin pages share."""

from django.template.response import TemplateResponse


def action_page(model_admin, request, obj, form, title, *, multipart=False):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": obj,
        "title": title,
        "form": form,
        "multipart": multipart,
    }
    return TemplateResponse(request, "logistics/admin/action_form.html", context)
