from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def unanswered_links_sent_again(apps, schema_editor):
    """Links sent before carried the survey's id signed with the site's key (forgeable with the
    default one) and no longer open anything: the surveys sweep sends a new link for each
    survey not yet answered whose old link had not expired."""
    Survey = apps.get_model("surveys", "Survey")
    still_open = timezone.now() - timedelta(days=settings.SURVEY_MAX_AGE_DAYS)
    Survey.objects.filter(answered_at__isnull=True, sent_at__gte=still_open).update(sent_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='survey',
            name='token_hash',
            field=models.CharField(blank=True, editable=False, help_text="SHA-256 of the link's token; empty until the link is sent.", max_length=64, null=True, unique=True),
        ),
        migrations.RunPython(unanswered_links_sent_again, migrations.RunPython.noop),
    ]
