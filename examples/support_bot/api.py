"""A support bot: an AgentService with a health mixin and a ticket workflow.

It carries the kind of mistakes pkgcheck exists for; run `pkgcheck examples/support_bot`.
"""

from typing import Any, Dict, Optional

from steamship.agents.service.agent_service import AgentService
from steamship.invocable import post
from steamship.utils.url import Verb

from bot.mixins.health import HealthMixin
from bot.mixins.tickets import TicketMixin


class SupportBot(AgentService):
    """Answers support questions and files tickets."""

    USED_MIXIN_CLASSES = [TicketMixin, HealthMixin]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(TicketMixin(self))

    @post("escalate")
    def escalate(self, ticket_id: str, reason: Optional[Dict[str, Any]] = None) -> str:
        """Hand a ticket to a human."""
        self.invoke_later("notify_oncall", arguments={"ticket": ticket_id})
        return ticket_id

    @post("notify_on_call")
    def notify_on_call(self, ticket_id: str) -> str:
        return ticket_id

    @post("summary")
    def summary(self, ticket_id: str) -> str:
        self.invoke_later("ticket_summary", verb=Verb.GET, arguments={"ticket_id": ticket_id})
        return ticket_id
