"""Django's makemessages, also finding the sentences written with
`procurement.core.phrases.phrase` (timeline reasons rendered in each reader's language)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=phrase"]
