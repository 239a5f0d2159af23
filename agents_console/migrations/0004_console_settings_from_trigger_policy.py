from django.db import migrations


def timeout_copy(apps, schema_editor):
    """The reply timeout was a field of the trigger policy; the console keeps it now."""
    policy = apps.get_model('escalation', 'TriggerPolicy').objects.filter(pk=1).first()
    if policy is not None:
        apps.get_model('agents_console', 'ConsoleSettings').objects.update_or_create(
            pk=1, defaults={'agent_reply_timeout_minutes': policy.agent_reply_timeout_minutes}
        )


def timeout_copy_back(apps, schema_editor):
    console = apps.get_model('agents_console', 'ConsoleSettings').objects.filter(pk=1).first()
    if console is not None:
        apps.get_model('escalation', 'TriggerPolicy').objects.filter(pk=1).update(
            agent_reply_timeout_minutes=console.agent_reply_timeout_minutes
        )


class Migration(migrations.Migration):

    dependencies = [
        ('agents_console', '0003_console_settings'),
        ('escalation', '0012_held_signals_recorded'),
    ]

    operations = [migrations.RunPython(timeout_copy, timeout_copy_back)]
