from django import forms

from escalation.webchat.chat import MAX_MESSAGE_CHARS


class MessageForm(forms.Form):
    text = forms.CharField(max_length=MAX_MESSAGE_CHARS, strip=True)


class ContactForm(forms.Form):
    email = forms.EmailField()
