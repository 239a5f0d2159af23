from escalation import triggers
from escalation.models import TriggerPolicy
from escalation.replay import policy_replay
from tests.conftest import REASKED, BotClient, EncoderRuns


def test_the_replay_encodes_no_stored_message(
    bot_client: BotClient, encoder_runs: EncoderRuns
) -> None:
    bot_client.post_turns(bot_client.open_conversation()["id"], REASKED)
    encoder_runs.forget()

    result = policy_replay(policy=TriggerPolicy.current())

    assert encoder_runs.texts == []
    assert (result.escalated, result.by_trigger[triggers.DISTRESS]) == (1, 1)
