"""Short invented clinical-administrative sentences for demo cases. No real person or event."""

from __future__ import annotations

ISSUES = {
    "individual": (
        "Work-related stress",
        "Low mood",
        "Anxiety about health",
        "Bereavement",
        "Sleep problems",
        "Adjusting to redundancy",
        "Return to work after illness",
        "Financial worries",
        "Conflict with a colleague",
        "Caring for an elderly parent",
        "Concerns about alcohol use",
        "Panic attacks on the commute",
    ),
    "couples": (
        "Relationship difficulties",
        "Communication problems after a new baby",
        "Separation and co-parenting",
    ),
    "family": ("Family conflict", "Blended family adjustment", "Supporting a relative's illness"),
    "minor": (
        "Teenage son's exam anxiety",
        "Daughter's school refusal",
        "Child struggling after a house move",
    ),
    "transitional_support": (
        "Waiting for specialist psychology",
        "Step-down after hospital care",
        "Moving to longer-term therapy",
    ),
    "assessment_only": (
        "Assessment for trauma-focused therapy",
        "Assessment and onward referral",
        "Assessment for specialist addiction service",
    ),
}

CALLBACK_REASONS = (
    "Asked for a clinician to call back after speaking with intake.",
    "No clinician free on the access line; participant asked for a call back.",
    "Called out of hours; asked to be called back.",
)

REACHED = {
    "phone": (
        "Spoke with participant; completed initial assessment and agreed a plan.",
        "Reached participant; discussed {issue} and agreed next steps.",
        "Participant answered; explained the service and sessions available.",
    ),
    "email": (
        "Participant replied by email; agreed a time to talk.",
        "Participant replied by email; discussed {issue} and next steps.",
    ),
}
RETURNED = {
    "phone": (
        "Participant returned the call; completed initial assessment.",
        "Participant called back; discussed {issue} and agreed next steps.",
    ),
    "email": ("Participant replied to our email; agreed next steps.",),
}
NOT_REACHED = {
    ("phone", "detailed"): (
        "No answer; left voicemail asking them to call the access line.",
        "No answer; voicemail left with access line number and hours.",
    ),
    ("phone", "generic"): ("No answer; left a brief generic voicemail with a call-back number.",),
    ("phone", "none"): (
        "No answer; no voicemail left.",
        "Line busy; tried twice, no message left.",
    ),
    ("email", "detailed"): (
        "Emailed asking participant to call the access line.",
        "Sent email with access line details and times to call.",
    ),
    ("email", "generic"): ("Sent a short email asking participant to get in touch.",),
    ("email", "none"): ("Email bounced back; no message delivered.",),
}
FOLLOW_UP = {
    "phone": (
        "Follow-up call; participant reports coping better.",
        "Checked in by phone; discussed coping strategies.",
        "Follow-up call; shared self-help resources and access line details.",
    ),
    "email": ("Follow-up by email; participant reports coping better.",),
}

ASSESSMENT_NOTES = (
    "Initial assessment by phone: {issue}. No immediate risk identified.",
    "Initial call: {issue}. Participant keen to start counselling soon.",
    "Assessment completed: {issue}. Discussed confidentiality and the benefit.",
)
NEXT_REFERRAL = "Refer to {provider} for counselling; confirm first appointment."
NEXT_REVIEW = "Refer to {provider}; review after the first session."
NEXT_BRIEF = "Follow-up call in one week."

REVIEW_NOTES = {
    "authorise_remaining": (
        "First-session review: goals agreed; further sessions authorised.",
        "Remaining sessions of the benefit authorised.",
    ),
    "transition_session": (
        "First-session review: longer-term support needed.",
        "One transition session authorised; plan move to {destination}.",
    ),
    "deny": (
        "First-session review: assessment complete; further EAP sessions not indicated.",
        "Resources sent to participant; close after notes arrive.",
    ),
}
TRANSITIONS = {
    "GB": ("NHS Talking Therapies via GP", "Private therapy with the same counsellor"),
    "US": ("Insurance-network therapist", "Private pay with the same counsellor"),
    "AU": ("GP Mental Health Treatment Plan", "Private therapy with the same counsellor"),
}
RESOURCES = (
    "Access line details",
    "Self-help workbook on sleep",
    "Local support group list",
    "Online CBT programme",
    "Financial advice service details",
    "Bereavement support charity",
)

PROVIDER_CONTACTS = {
    "query": (
        "Asked whether a session can be held by video.",
        "Asked to confirm how many sessions remain.",
        "Asked for the participant's preferred contact times.",
    ),
    "risk": (
        "Participant disclosed thoughts of self-harm in session; safety plan made.",
        "Participant reported escalating conflict at home; concerned for safety.",
    ),
    "goal_slip": (
        "Participant missed two sessions; goals stalled.",
        "Symptoms worsening despite sessions; goals may not be met.",
    ),
}
PROVIDER_RESPONSES = {
    "query": ("Confirmed; video sessions are fine.", "Answered; sessions remaining confirmed."),
    "risk": ("Called provider; agreed safety plan and follow-up call to participant.",),
    "goal_slip": ("Discussed with provider; agreed to revisit goals at next session.",),
}
RISK_NOTES = (
    "Risk reviewed with provider; safety plan in place; risk kept under review.",
    "Spoke with participant after provider's report; safety plan confirmed.",
)
GOAL_SLIP_NOTES = ("Provider reports goal slip; goals revisited with participant.",)

QUERIES = (
    "Asked when the next appointment is.",
    "Asked whether sessions can move to evenings.",
    "Asked how many sessions remain.",
    "Asked for a different counsellor.",
)
QUERY_RESOLUTIONS = (
    "Confirmed appointment time with provider and told participant.",
    "Arranged evening sessions with the provider.",
    "Explained remaining sessions under the benefit.",
)

DISSATISFACTION = (
    ("waiting time for a first appointment", "Participant unhappy about waiting two weeks."),
    ("provider cancelled a session at short notice", "Session cancelled the same morning."),
    ("not feeling listened to on the first call", "Participant felt rushed on the call."),
)
COMPLAINT_REACHED = {
    "phone": "Spoke with participant about their concern; apologised and agreed a plan.",
    "email": "Participant replied by email about their concern; agreed a plan.",
}

WPO_EMAILS = (
    (
        "New case allocated: please contact participant",
        "Participant spoke to the access line and would like a clinician to contact them.",
    ),
    (
        "Participant called the access line",
        "Participant called asking to rearrange an appointment; please contact them.",
    ),
)
WPO_INFO_EMAILS = (("For information: appointment moved", "Provider moved next session."),)
PARTICIPANT_EMAILS = (
    ("Question about my sessions", "Could someone call me about my sessions?"),
    ("Please call me", "I missed your call, please try again after lunch."),
)
EMAIL_ACTIONS = (
    "Called participant as asked.",
    "Contact attempted as requested.",
    "Noted on case; passed details to provider.",
)
INFORM_SUMMARY = "Participant not reached within 24 hours of the email; WPO informed."

NOTES_REVIEW = (
    "Case notes reviewed; no issues needing action.",
    "Case notes reviewed; outcome and follow-up documented.",
)
NOTES_ISSUES = "Case notes reviewed; outcome measure missing, asked provider to add it."
CLOSING_NOTES = (
    "Sessions completed; participant reports goals met.",
    "Intervention ended; participant coping well and knows how to return.",
)
CLOSE_REASONS = {
    "completed": ("Sessions completed; goals met", "Intervention completed"),
    "transition": ("Transitioned to {destination}",),
    "deny": ("Assessment completed; referred on with resources",),
    "brief": ("Support given by phone; no further sessions needed",),
    "declined": ("Participant declined counselling for now",),
    "no_contact": ("No contact after two attempts; letter sent with access line details",),
}
NO_CONTACT_NOTE = "Two attempts without contact; letter sent with access line details."
DECLINED_NOTE = "Participant declined referral for now; knows how to return via access line."
CHECKIN_REACHED = "Check-in: participant connected with onward support; no further needs."
CHECKIN_MISSED = {
    "phone": "Check-in call: no answer; single attempt as per client procedure.",
    "email": "Check-in email sent; single attempt as per client procedure.",
}
CHECKIN_CLOSED = "Single check-in attempt made as the client's procedure asks."
PREFERENCE_CHANGES = (
    ({"voicemail_ok": False}, "Participant asked us not to leave voicemails."),
    ({"email_messages_ok": False}, "Participant asked for no messages by email."),
    ({"email_consent": False}, "Participant withdrew consent to contact by email."),
)
ESCALATION_ACK = "Received by WPO clinical team; following up."
RISK_ESCALATION = "Provider reported a risk situation; safety plan in place; WPO informed."

# The reason a clinician gives with a risk level in the demo's stories.
RISK_REASONS = {
    "none": "Risk reviewed with the participant; no current risk identified.",
    "low": "Low mood and poor sleep; no thoughts of harm; safety plan discussed.",
    "medium": "Provider reported worsening mood; safety plan agreed; follow-up call booked.",
    "high": "Participant disclosed thoughts of self-harm; safety plan and daily contact agreed.",
}
