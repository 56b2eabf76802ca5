from typing import TYPE_CHECKING

from steamship.invocable import get, post
from steamship.invocable.package_mixin import PackageMixin

if TYPE_CHECKING:
    from steamship.agents.service.agent_service import AgentService


class TicketMixin(PackageMixin):
    """Creates tickets and summarises them in the background."""

    agent_service: "AgentService"

    def __init__(self, agent_service: "AgentService"):
        self.agent_service = agent_service

    @post("ticket")
    def create_ticket(self, title: str, body: str) -> str:
        self.agent_service.invoke_later("ticket_summary", arguments={"ticket_id": title})
        return title

    @get("ticket_summary")
    def ticket_summary(self, ticket_id: str) -> str:
        return ticket_id
