from django import forms

YES_NO = [("yes", "Yes"), ("no", "No")]
RATINGS = [(str(n), str(n)) for n in range(1, 6)]


class SurveyForm(forms.Form):
    did_help = forms.TypedChoiceField(
        label="Did the handover help?",
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    had_to_repeat = forms.TypedChoiceField(
        label="Did you have to repeat yourself?",
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label="How would you rate the help overall? (1 = poor, 5 = excellent)",
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything else? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
