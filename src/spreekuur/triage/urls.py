from django.urls import path

from spreekuur.triage.views import answering, assistant, manage, portal, public
from spreekuur.triage.views import questionnaires as q

app_name = "triage"

urlpatterns = [
    # The patient's own self-triage (portal).
    path("zelftriage/", portal.self_index, name="self_index"),
    path("zelftriage/klacht/<uuid:flow_id>/", portal.self_step, name="self_step"),
    path("zelftriage/uitkomst/<uuid:public_id>/", portal.self_outcome, name="self_outcome"),
    # The FAQ assistant, in the portal and on the practice's page.
    path("vraag-het-de-praktijk/", assistant.portal_assistant, name="portal_assistant"),
    path(
        "p/<slug:slug>/vraag-het-de-praktijk/",
        assistant.public_assistant,
        name="public_assistant",
    ),
    # Anonymous, on the practice's page.
    path("p/<slug:slug>/zelftriage/", public.public_index, name="public_index"),
    path(
        "p/<slug:slug>/zelftriage/klacht/<uuid:flow_id>/",
        public.public_step,
        name="public_step",
    ),
    path(
        "p/<slug:slug>/zelftriage/uitkomst/<uuid:public_id>/",
        public.public_outcome,
        name="public_outcome",
    ),
    # Anonymous, embedded in the practice's own website.
    path("widget/<slug:slug>/zelftriage.js", public.widget_script, name="widget_script"),
    path("widget/<slug:slug>/zelftriage/", public.widget_index, name="widget_index"),
    path(
        "widget/<slug:slug>/zelftriage/klacht/<uuid:flow_id>/",
        public.widget_step,
        name="widget_step",
    ),
    path(
        "widget/<slug:slug>/zelftriage/uitkomst/<uuid:public_id>/",
        public.widget_outcome,
        name="widget_outcome",
    ),
    # Questionnaires: the patient's.
    path("vragenlijsten/", answering.my_questionnaires, name="my_questionnaires"),
    path("vragenlijsten/<uuid:public_id>/", answering.answer, name="answer"),
    # Questionnaires: the practice's.
    path("beheer/vragenlijsten/", q.questionnaire_list, name="questionnaires"),
    path("beheer/vragenlijsten/overnemen/<uuid:public_id>/", q.adopt, name="adopt_questionnaire"),
    path("beheer/vragenlijsten/verzending/<uuid:public_id>/", q.mailing_view, name="mailing"),
    path("beheer/vragenlijsten/<uuid:public_id>/", q.questionnaire_detail, name="questionnaire"),
    path(
        "beheer/vragenlijsten/<uuid:public_id>/vraag/nieuw/",
        q.edit_question,
        name="add_question",
    ),
    path(
        "beheer/vragenlijsten/<uuid:public_id>/vraag/<slug:item_id>/",
        q.edit_question,
        name="edit_question",
    ),
    path(
        "beheer/vragenlijsten/<uuid:public_id>/vraag/<slug:item_id>/<slug:action>/",
        q.question_action,
        name="question_action",
    ),
    path(
        "beheer/vragenlijsten/<uuid:public_id>/in-gebruik/",
        q.publish,
        name="publish_questionnaire",
    ),
    path(
        "beheer/vragenlijsten/<uuid:public_id>/nieuwe-versie/",
        q.new_version,
        name="new_questionnaire_version",
    ),
    path(
        "beheer/vragenlijsten/<uuid:public_id>/weggooien/",
        q.discard,
        name="discard_questionnaire",
    ),
    path(
        "beheer/vragenlijsten/<uuid:public_id>/voorbeeld/",
        q.preview,
        name="preview_questionnaire",
    ),
    path(
        "beheer/vragenlijsten/<uuid:public_id>/versturen/",
        q.send_to_group,
        name="send_questionnaire",
    ),
    path(
        "beheer/vragenlijsten/<uuid:public_id>/uitkomsten/",
        q.results,
        name="questionnaire_results",
    ),
    path(
        "beheer/vragenlijsten/<uuid:public_id>/antwoorden/",
        q.responses,
        name="questionnaire_responses",
    ),
    path(
        "beheer/vragenlijsten/<uuid:public_id>/download/<slug:kind>/",
        q.export,
        name="export_questionnaire",
    ),
    # The practice's settings.
    path("beheer/triage/", manage.settings_view, name="settings"),
    path("beheer/triage/cijfers/", manage.figures, name="figures"),
    path("beheer/triage/vragen/", manage.faq_answers, name="faq_answers"),
    path("beheer/triage/vragen/nieuw/", manage.add_faq, name="add_faq"),
    path("beheer/triage/vragen/<slug:key>/", manage.edit_faq, name="edit_faq"),
    path("beheer/triage/klacht/nieuw/", manage.add_flow, name="add_flow"),
    path("beheer/triage/klacht/<uuid:public_id>/teksten/", manage.edit_texts, name="edit_texts"),
    path(
        "beheer/triage/klacht/<slug:code>/uitzetten/",
        manage.switch_off_flow,
        name="switch_off_flow",
    ),
    path(
        "beheer/triage/spoedvraag/<uuid:public_id>/uitzetten/",
        manage.switch_off_flag,
        name="switch_off_flag",
    ),
]
