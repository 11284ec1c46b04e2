"""The course's front matter, as an accreditor reads it, printed on the home page from course/course.yml.

course/index.qmd prints `front_matter()` from a code cell (`output: asis`), so the page always says what
course.yml says: learning level and prerequisites, authors and reviewers, conflicts of interest and commercial
support, how the contact hours were set (computed by contact_hours.py at render time), the review dates, how to
get a certificate and how long records are kept, refunds and grievances, disability accommodation, technical
requirements and privacy; the provider's name, approvals (each body's statement, number and credit type),
certificate signer and the published site's address. A provider detail that is still a placeholder is shown as
not yet set, in words, and (through instructor/certificates/) blocks certificates: nothing is invented to fill it.

Each field is a Pandoc div with a stable id (`fm-<field>`), so tests can find it in the rendered HTML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined

from . import contact_hours
from . import course as course_model
from .instructor.certificates import placeholders
from .instructor.certificates.provider import additional_approvals

NOT_SET = "*Not yet set by the course provider. Certificates cannot be issued until it is.*"

TEMPLATE = """\
::: {#fm-level .front-matter-field}
**Learning level:** {{ raw.level }}. {{ raw.level_reason }}
:::

::: {#fm-prerequisites .front-matter-field}
**Prerequisites:** {{ raw.prerequisites }}
:::

### Provider and approval

::: {#fm-provider .front-matter-field}
- **Provider:** {{ field("name") }}
- **Approval statement:** {{ field("approval_statement") }}
- **Approval number:** {{ field("approval_number") }}
- **Credit type:** {{ field("credit_type") }}
{%- for approval in approvals %}
- **Also approved by {{ approval.body }}:** {{ approval.statement }} Approval number: {{ approval.number }}.
  Credit type: {{ approval.credit_type }}.
{%- endfor %}
- **Certificates are signed by:** {{ field("signer_name") }}
- **Signer's role:** {{ field("signer_role") }}
- **Published at:** {{ field("verification_url") }}
:::

### Authors and reviewers

::: {#fm-authors .front-matter-field}
**Authors (degrees and licenses):** {{ field("authors") }}
:::

::: {#fm-reviewers .front-matter-field}
**Content reviewers (degrees and licenses):** {{ field("reviewers") }}
:::

::: {#fm-conflicts .front-matter-field}
**Conflicts of interest:** {{ field("conflicts_of_interest") }}
:::

::: {#fm-commercial-support .front-matter-field}
**Commercial support:** {{ field("commercial_support") }}
:::

### How the contact hours were set

::: {#fm-contact-hours .front-matter-field}
The course declares **{{ "%g"|format(declared) }} contact hours**. They were checked against the material
itself by a script that the course's tests run (`python -m empathy_ce.contact_hours`): it counts the words a
learner reads on the module pages and in the notebooks' text and items ({{ "{:,}".format(words) }} words), at a
reading rate of {{ rate|int }} words a minute, and adds an estimated time for answering each of the {{ items }}
practice and post-test items, by kind ({{ per_item }}). The result is **{{ "%.1f"|format(computed) }} hours**
({{ "%.0f"|format(reading) }} minutes of reading and {{ "%.0f"|format(exercises) }} minutes of exercises). The
reading rate and the minutes per item are the course's own planning assumptions, not figures from a published
source. The declared hours must stay within 10% of the computed figure.
:::

### Dates

::: {#fm-dates .front-matter-field}
- **Original release:** {{ field("original_release") }}
- **Last content review:** {{ field("last_review") }}
- **Next content review:** {{ field("next_review") }}
:::

### Getting your certificate

::: {#fm-certificate .front-matter-field}
Pass the graded post-test of every module (at least {{ "%.0f"|format(raw.pass_mark * 100) }}% of each post-test's
points), complete the attestation at the end of each post-test (you confirm that you did the module yourself and
state the minutes you spent) and submit the course evaluation after your last post-test. Your instructor grades
the post-tests with nbgrader and confirms the grades, and the course provider then
issues a certificate of completion stating your name, the course title, your completion date, the contact hours, the
delivery format ({{ raw.delivery }}) and the provider's approval statement and number. Each certificate has its own
id that cannot be guessed, a verification address and a QR code: anyone, a licensing board for example, can check it
on this site's [certificate verification page](verify.qmd), which shows only the course, date, hours and whether
the certificate is valid. You also receive it as a digitally signed Open Badges 3.0 credential.

- **Attempts allowed per post-test:** {{ field("posttest_attempts") }}
- **How long records are kept:** {{ field("record_retention") }}
:::

### Refunds, grievances and accommodations

::: {#fm-refunds .front-matter-field}
**Refund and cancellation policy:** {{ field("refund_policy") }}
:::

::: {#fm-grievances .front-matter-field}
**Complaints and grievances:** {{ field("grievance_policy") }}
:::

::: {#fm-accommodation .front-matter-field}
**Disability accommodation:** {{ field("accommodation") }}
:::

::: {#fm-contact .front-matter-field}
**Contact:** {{ field("contact") }}
:::

### Technical requirements

::: {#fm-technical .front-matter-field}
- **Modules and practice exercises:** a current web browser (for example Firefox, Chrome, Edge or Safari). The
  pages can be read with JavaScript turned off; only the practice exercises' instant feedback needs it. The pages
  work with a keyboard alone and with screen readers, and work offline once loaded.
- **Graded post-tests:** JupyterLab with nbgrader (the *Nbgrader > Assignment List* menu), provided by your
  instructor's course server, or on your own computer with Python 3.11 or later (`make start` in the course folder).
- No programming is needed: every answer is given by clicking, ordering, rating, typing a number or writing.
:::

### Privacy

::: {#fm-privacy .front-matter-field}
- **What is collected:** only what you submit for grading, that is your **post-test answers**, with the learner
  id (and name, if your instructor enters it) that nbgrader records, and the grades, submission times and
  certificate details that come from them; your **attestation** in each post-test (your typed name, the minutes
  you state and, if you give them, your license number and jurisdiction); when you first and last answered each
  post-test item (date and time only, nothing else about your computer), from which your instructor sees your time
  on task; and your **course evaluation**, which your instructor sees only as summaries of everyone's answers,
  without names or learner ids, once at least 5 learners have submitted it.
- **What is not collected:** your **practice answers**, written reflections and self-checks (including any
  self-care plan or burnout self-check) stay with you, in your browser on this website or in your own copy of the
  practice notebooks in JupyterLab; they are never submitted with a post-test. This website sends nothing
  anywhere: it makes no requests to other sites and has no analytics.
- **Who sees it:** your instructor and anyone grading for them, and the course provider when issuing your
  certificate. Anyone you give your certificate id to can confirm on this site that it is valid, for which course,
  completion date and contact hours; the site publishes no names, license numbers or ids, only a salted hash of
  each id.
- **How long it is kept:** {{ field("record_retention") }}
:::
"""


def provider_field(provider: dict[str, Any], name: str) -> str:
    """A provider detail as a learner should read it: its value once set, else the words "not yet set"."""
    return NOT_SET if f"provider.{name}" in placeholders(provider) else str(provider[name]).strip()


def _per_item(minutes: dict[str, float]) -> str:
    names = {"single": "one choice", "multiple": "several choices", "rating": "a rating", "ordering": "an ordering",
             "numeric": "a calculation", "text": "a written answer"}
    return "; ".join(f"{names.get(kind, kind)} {value:g} min" for kind, value in minutes.items())


def front_matter(root: Path | None = None) -> str:
    """Markdown for the home page's front matter, from course/course.yml and the computed contact hours."""
    course = course_model.load(root)
    provider = course.provider

    def field(name: str) -> str:
        return provider_field(provider, name)

    times = contact_hours.compute(course.root)
    assumptions = contact_hours.Assumptions.from_course(course)
    # Pandoc ids ({#fm-...}) look like Jinja comments: move the comment delimiters out of the way.
    env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
                      comment_start_string="{##", comment_end_string="##}")
    return env.from_string(TEMPLATE).render(
        raw=course.raw, field=field, approvals=additional_approvals(provider), declared=course.contact_hours,
        computed=contact_hours.total_hours(times),
        words=sum(t.words for t in times), items=sum(sum(t.items.values()) for t in times),
        reading=sum(t.reading_minutes for t in times), exercises=sum(t.exercise_minutes for t in times),
        rate=assumptions.words_per_minute, per_item=_per_item(assumptions.minutes_per_item))
