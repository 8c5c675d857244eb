"""Third parties behind adapters: payment gateways (sandbox, LianLian Global) and FX sources."""

from django.conf import settings

from payments.adapters.base import GatewayAdapter


def gateway_names() -> list[str]:
    return ["sandbox", "lianlian"]


def get_gateway(name: str | None = None) -> GatewayAdapter:
    """The adapter for `name`, or for the PAYMENTS_GATEWAY setting (default "sandbox")."""
    name = name or getattr(settings, "PAYMENTS_GATEWAY", "sandbox")
    if name == "sandbox":
        from payments.adapters.sandbox import SandboxGateway

        return SandboxGateway()
    if name == "lianlian":
        from payments.adapters.lianlian import LianLianGlobalGateway

        return LianLianGlobalGateway()
    raise LookupError(f"unknown payment gateway {name!r}")
