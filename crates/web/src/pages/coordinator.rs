//! The coordinator's pages: register a client, a client's consents and
//! assignments with their actions (record a consent with its evidence,
//! withdraw it, assign and end assignments, protect the identity) and
//! erasure behind a confirmation.

use super::layout::{self, join, short_id, PageCtx, Rendered};
use super::signed_page;
use crate::error::PageError;
use crate::forms::{self, Field, FieldError, Input, Posted};
use crate::i18n::{Lang, T};
use crate::visitor::SignedIn;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use ingang_app::assignments::ClientAdministration;
use ingang_app::clients::Registration;
use ingang_app::consents::ConsentDraft;
use ingang_app::AppError;
use ingang_policy::{AssignmentId, ClientId, ConsentId, OfficerId, PersonalNumber, RecordKind};
use maud::html;

type Form = web::Form<Vec<(String, String)>>;

fn id<T: std::str::FromStr>(raw: &str) -> Result<T, PageError> {
    raw.parse().map_err(|_| PageError::MalformedId)
}

/// A use case's field error for the form, in the chosen language.
fn field_error(lang: Lang, field: String, detail: &str) -> FieldError {
    FieldError {
        field,
        message: crate::i18n::explain(lang, detail),
    }
}

// ---------- registration ----------

fn registration_fields(lang: Lang) -> Vec<Field> {
    vec![
        Field::new("personal_number", T::PersonalNumber.in_(lang), Input::Text)
            .required()
            .hint(T::PersonalNumberHint.in_(lang)),
        Field::new("name", T::Name.in_(lang), Input::Text).required(),
        Field::new(
            "protected_identity",
            T::ProtectedIdentity.in_(lang),
            Input::Checkbox,
        ),
    ]
}

/// `GET /clients/new`.
pub async fn new_client(req: HttpRequest) -> HttpResponse {
    signed_page(&req, |_, _, ctx| {
        Ok(registration_page(
            ctx,
            &Posted::default(),
            None,
            StatusCode::OK,
        ))
    })
    .await
}

/// `POST /clients/new`.
pub async fn register(req: HttpRequest, form: Form) -> HttpResponse {
    let posted = Posted::new(form.into_inner());
    signed_page(&req, move |session, signed, ctx| {
        signed.require_csrf(&posted)?;
        let today = Utc::now().date_naive();
        let number = match PersonalNumber::parse(posted.get("personal_number"), today) {
            Ok(number) => number,
            Err(_) => {
                let error = FieldError {
                    field: "personal_number".into(),
                    message: T::ErrPersonalNumber.in_(ctx.lang).into(),
                };
                return Ok(registration_page(
                    ctx,
                    &posted,
                    Some(&error),
                    StatusCode::BAD_REQUEST,
                ));
            }
        };
        let caller = &signed.caller.caller;
        let protected = !posted.get("protected_identity").is_empty();
        match session.register_client(caller, &number, posted.get("name"), protected) {
            Ok(Registration::Created(client)) => {
                Ok(layout::redirect(&format!("/clients/{client}/manage")))
            }
            Ok(Registration::Accepted(_)) => Ok(layout::redirect("/clients")),
            Err(AppError::Invalid { field, detail }) => {
                let error = field_error(ctx.lang, field, &detail);
                Ok(registration_page(
                    ctx,
                    &posted,
                    Some(&error),
                    StatusCode::BAD_REQUEST,
                ))
            }
            Err(AppError::Conflict(_)) => {
                let error = FieldError {
                    field: "personal_number".into(),
                    message: T::AlreadyRegistered.in_(ctx.lang).into(),
                };
                Ok(registration_page(
                    ctx,
                    &posted,
                    Some(&error),
                    StatusCode::CONFLICT,
                ))
            }
            Err(other) => Err(PageError::App(other)),
        }
    })
    .await
}

fn registration_page(
    ctx: &PageCtx,
    posted: &Posted,
    error: Option<&FieldError>,
    status: StatusCode,
) -> Rendered {
    let lang = ctx.lang;
    let fields = registration_fields(lang);
    let title = ctx.t(T::RegisterClient);
    let body = html! {
        h1 { (title) }
        (forms::summary(lang, error, &fields))
        form method="post" action="/clients/new" novalidate {
            input type="hidden" name="csrf" value=(ctx.csrf());
            @for field in &fields { (forms::field(lang, field, posted, error)) }
            div.actions { button type="submit" { (ctx.t(T::Register)) } }
        }
    };
    layout::respond(status, &layout::page(ctx, title, body))
}

// ---------- one client: consents and assignments ----------

/// `GET /clients/{id}/manage`.
pub async fn manage(req: HttpRequest, client: web::Path<String>) -> HttpResponse {
    let client = client.into_inner();
    signed_page(&req, move |session, signed, ctx| {
        let client: ClientId = id(&client)?;
        let admin = session.client_administration(&signed.caller.caller, client)?;
        Ok(manage_page(ctx, &admin, None, StatusCode::OK))
    })
    .await
}

/// Which form on the manage page an error belongs to.
struct FormError {
    form: &'static str,
    error: FieldError,
    posted: Posted,
}

fn manage_page(
    ctx: &PageCtx,
    admin: &ClientAdministration,
    failed: Option<&FormError>,
    status: StatusCode,
) -> Rendered {
    let lang = ctx.lang;
    let client = admin.client;
    let token = ctx.csrf();
    let error_of = |form: &str| failed.filter(|f| f.form == form).map(|f| &f.error);
    let posted_of = |form: &str| {
        failed
            .filter(|f| f.form == form)
            .map(|f| f.posted.clone())
            .unwrap_or_default()
    };
    let title = format!("{} {}", ctx.t(T::ManageClient), short_id(&client));
    let assign_field = Field::new("officer", ctx.t(T::OfficerId), Input::Text)
        .required()
        .hint(T::OfficerIdHint.in_(lang));
    let withdraw_reason = |consent: ConsentId| {
        Field::new(
            format!("reason-{consent}"),
            ctx.t(T::WithdrawReason),
            Input::Text,
        )
        .required()
    };
    let body = html! {
        h1 { (title) }
        (forms::summary(lang, failed.map(|f| &f.error), &[]))
        section aria-labelledby="consents" {
            h2 #consents { (ctx.t(T::Consents)) }
            p { a href={ "/clients/" (client) "/consents/new" } { (ctx.t(T::RecordConsent)) } }
            @if admin.consents.is_empty() { p { (ctx.t(T::NoConsents)) } }
            @for consent in &admin.consents {
                article.record aria-labelledby={ "c-" (consent.id) } {
                    h3 id={ "c-" (consent.id) } {
                        (ctx.t(T::ConsentCovers)) " " (short_id(&consent.id))
                        @if consent.withdrawn_at.is_some() { " – " (ctx.t(T::Withdrawn)) }
                    }
                    dl.body {
                        dt { (ctx.t(T::Purpose)) } dd { (consent.terms.purpose) }
                        dt { (ctx.t(T::Recipients)) }
                        dd {
                            (join(consent.terms.recipient_officers.iter().map(|o| short_id(&o))
                                .chain(consent.terms.recipient_agencies.iter().map(ToString::to_string))))
                        }
                        dt { (ctx.t(T::FromAgenciesField)) }
                        dd { @if consent.terms.from_agencies.is_empty() { (ctx.t(T::EveryAgency)) } @else { (join(consent.terms.from_agencies.iter().map(ToString::to_string))) } }
                        dt { (ctx.t(T::Kind)) }
                        dd { @if consent.terms.kinds.is_empty() { (ctx.t(T::EveryKind)) } @else { (join(consent.terms.kinds.iter().map(|k| lang.kind(*k).to_owned()))) } }
                        dt { (ctx.t(T::Period)) }
                        dd { (lang.day_of(consent.terms.valid_from)) " – " (lang.last_day_before(consent.terms.valid_until)) }
                        dt { (ctx.t(T::Evidence)) }
                        dd { code { (consent.terms.evidence.document_sha256) } }
                    }
                    @if consent.withdrawn_at.is_none() {
                        @let field = withdraw_reason(consent.id);
                        form method="post" action={ "/consents/" (consent.id) "/withdraw" } novalidate {
                            input type="hidden" name="csrf" value=(token);
                            input type="hidden" name="client" value=(client);
                            (forms::field(lang, &field, &posted_of("withdraw"), error_of("withdraw")))
                            button type="submit" { (ctx.t(T::Withdraw)) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="assignments" {
            h2 #assignments { (ctx.t(T::Assignments)) }
            table {
                caption.visually-hidden { (ctx.t(T::Assignments)) }
                thead { tr {
                    th scope="col" { (ctx.t(T::Officer)) }
                    th scope="col" { (ctx.t(T::Agency)) }
                    th scope="col" { (ctx.t(T::Period)) }
                    th scope="col" { (ctx.t(T::Action)) }
                } }
                tbody {
                    @for assignment in &admin.assignments {
                        tr {
                            td { code { (short_id(&assignment.officer_id)) } }
                            td { (assignment.officer_agency) }
                            td {
                                (lang.moment(assignment.starts_at))
                                @if let Some(ended) = assignment.ended_at { " – " (lang.moment(ended)) }
                            }
                            td {
                                @if assignment.ended_at.is_none() {
                                    form method="post" action={ "/assignments/" (assignment.id) "/end" } {
                                        input type="hidden" name="csrf" value=(token);
                                        input type="hidden" name="client" value=(client);
                                        button.secondary type="submit" {
                                            (ctx.t(T::EndAssignment))
                                            span.visually-hidden { " " (short_id(&assignment.officer_id)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form method="post" action={ "/clients/" (client) "/assign" } novalidate {
                input type="hidden" name="csrf" value=(token);
                (forms::field(lang, &assign_field, &posted_of("assign"), error_of("assign")))
                button type="submit" { (ctx.t(T::Assign)) }
            }
        }
        section aria-labelledby="identity" {
            h2 #identity { (ctx.t(T::ProtectedIdentity)) }
            form method="post" action={ "/clients/" (client) "/protect" } {
                input type="hidden" name="csrf" value=(token);
                button type="submit" name="protected" value="yes" { (ctx.t(T::Protect)) }
                " "
                button.secondary type="submit" name="protected" value="no" { (ctx.t(T::Unprotect)) }
            }
        }
        section aria-labelledby="erase" {
            h2 #erase { (ctx.t(T::Erase)) }
            p { a href={ "/clients/" (client) "/erase" } { (ctx.t(T::EraseClient)) } }
        }
    };
    layout::respond(status, &layout::page(ctx, &title, body))
}

/// An action posted from the manage page: which client and form, what
/// was posted, and the field an error is shown beside.
struct Attempt {
    client: ClientId,
    form: &'static str,
    posted: Posted,
    field: String,
}

/// Runs a manage-page action; on a field error shows the page again with
/// the error beside that form's field.
fn manage_action(
    session: &mut ingang_app::Session<'_>,
    signed: &SignedIn,
    ctx: &PageCtx,
    attempt: Attempt,
    result: Result<(), AppError>,
) -> Result<Rendered, PageError> {
    let Attempt {
        client,
        form,
        posted,
        field,
    } = attempt;
    let message = match result {
        Ok(()) => return Ok(layout::redirect(&format!("/clients/{client}/manage"))),
        Err(AppError::Invalid { detail, .. }) => crate::i18n::explain(ctx.lang, &detail),
        Err(AppError::Conflict(_) | AppError::UnknownReference(_)) => {
            T::NotPossible.in_(ctx.lang).to_owned()
        }
        Err(other) => return Err(PageError::App(other)),
    };
    let admin = session.client_administration(&signed.caller.caller, client)?;
    let failed = FormError {
        form,
        error: FieldError { field, message },
        posted,
    };
    Ok(manage_page(
        ctx,
        &admin,
        Some(&failed),
        StatusCode::BAD_REQUEST,
    ))
}

/// `POST /clients/{id}/assign`.
pub async fn assign(req: HttpRequest, client: web::Path<String>, form: Form) -> HttpResponse {
    let client = client.into_inner();
    let posted = Posted::new(form.into_inner());
    signed_page(&req, move |session, signed, ctx| {
        signed.require_csrf(&posted)?;
        let client: ClientId = id(&client)?;
        let result = match posted.get("officer").trim().parse::<OfficerId>() {
            Ok(officer) => session
                .assign(&signed.caller.caller, client, officer)
                .map(|_| ()),
            Err(_) => Err(AppError::invalid(
                "officer",
                "must be the UUID of an officer",
            )),
        };
        manage_action(
            session,
            signed,
            ctx,
            Attempt {
                client,
                form: "assign",
                posted,
                field: "officer".into(),
            },
            result,
        )
    })
    .await
}

/// `POST /assignments/{id}/end`.
pub async fn end_assignment(
    req: HttpRequest,
    assignment: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let assignment = assignment.into_inner();
    let posted = Posted::new(form.into_inner());
    signed_page(&req, move |session, signed, ctx| {
        signed.require_csrf(&posted)?;
        let assignment: AssignmentId = id(&assignment)?;
        let client: ClientId = id(posted.get("client"))?;
        let result = session
            .end_assignment(&signed.caller.caller, assignment)
            .map(|_| ());
        manage_action(
            session,
            signed,
            ctx,
            Attempt {
                client,
                form: "end",
                posted,
                field: "assignment".into(),
            },
            result,
        )
    })
    .await
}

/// `POST /consents/{id}/withdraw`.
pub async fn withdraw(req: HttpRequest, consent: web::Path<String>, form: Form) -> HttpResponse {
    let consent = consent.into_inner();
    let posted = Posted::new(form.into_inner());
    signed_page(&req, move |session, signed, ctx| {
        signed.require_csrf(&posted)?;
        let consent: ConsentId = id(&consent)?;
        let client: ClientId = id(posted.get("client"))?;
        let field = format!("reason-{consent}");
        let result = session
            .withdraw_consent(&signed.caller.caller, consent, posted.get(&field))
            .map(|_| ());
        manage_action(
            session,
            signed,
            ctx,
            Attempt {
                client,
                form: "withdraw",
                posted,
                field,
            },
            result,
        )
    })
    .await
}

/// `POST /clients/{id}/protect`.
pub async fn protect(req: HttpRequest, client: web::Path<String>, form: Form) -> HttpResponse {
    let client = client.into_inner();
    let posted = Posted::new(form.into_inner());
    signed_page(&req, move |session, signed, ctx| {
        signed.require_csrf(&posted)?;
        let client: ClientId = id(&client)?;
        let protected = posted.get("protected") == "yes";
        let result = session.set_protected_identity(&signed.caller.caller, client, protected);
        manage_action(
            session,
            signed,
            ctx,
            Attempt {
                client,
                form: "protect",
                posted,
                field: "protected".into(),
            },
            result,
        )
    })
    .await
}

// ---------- a consent ----------

const KINDS: [RecordKind; 6] = [
    RecordKind::Note,
    RecordKind::ActionPlan,
    RecordKind::Assessment,
    RecordKind::FollowUp,
    RecordKind::MeetingNote,
    RecordKind::Closure,
];

const METHODS: &[(&str, T)] = &[("paper", T::Paper), ("e-signature", T::ESignature)];

fn consent_fields(lang: Lang) -> Vec<Field> {
    let t = |text: T| text.in_(lang).to_owned();
    let mut fields = vec![
        Field::new("recipient_officers", t(T::RecipientOfficers), Input::Lines)
            .hint(T::OfficersHint.in_(lang)),
        Field::new("recipient_agencies", t(T::RecipientAgencies), Input::Codes)
            .hint(T::CodesHint.in_(lang)),
        Field::new("from_agencies", t(T::FromAgenciesField), Input::Codes)
            .hint(T::EmptyMeansEvery.in_(lang)),
    ];
    for kind in KINDS {
        fields.push(Field::new(
            format!("kind-{}", kind.as_str()),
            lang.kind(kind),
            Input::Checkbox,
        ));
    }
    fields.extend([
        Field::new("purpose", t(T::Purpose), Input::TextArea).required(),
        Field::new("signed_at", t(T::SignedOn), Input::Date).required(),
        Field::new("valid_from", t(T::ValidFromField), Input::Date).required(),
        Field::new("valid_until", t(T::ValidUntilField), Input::Date).required(),
        Field::new(
            "evidence.method",
            t(T::EvidenceMethod),
            Input::Select(METHODS),
        )
        .required(),
        Field::new(
            "evidence.document_sha256",
            t(T::DocumentSha256),
            Input::Text,
        )
        .required()
        .hint(T::Sha256Hint.in_(lang)),
    ]);
    fields
}

/// `GET /clients/{id}/consents/new`.
pub async fn new_consent(req: HttpRequest, client: web::Path<String>) -> HttpResponse {
    let client = client.into_inner();
    signed_page(&req, move |_, _, ctx| {
        let client: ClientId = id(&client)?;
        Ok(consent_page(
            ctx,
            client,
            &Posted::default(),
            None,
            StatusCode::OK,
        ))
    })
    .await
}

fn date_field(posted: &Posted, name: &str, lang: Lang) -> Result<NaiveDate, FieldError> {
    posted.get(name).trim().parse().map_err(|_| FieldError {
        field: name.into(),
        message: T::ErrDate.in_(lang).into(),
    })
}

/// `POST /clients/{id}/consents/new`.
pub async fn record_consent(
    req: HttpRequest,
    client: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let client = client.into_inner();
    let posted = Posted::new(form.into_inner());
    signed_page(&req, move |session, signed, ctx| {
        signed.require_csrf(&posted)?;
        let client: ClientId = id(&client)?;
        let lang = ctx.lang;
        let fail = |error: FieldError| {
            consent_page(ctx, client, &posted, Some(&error), StatusCode::BAD_REQUEST)
        };
        let mut officers = Vec::new();
        for line in posted
            .get("recipient_officers")
            .split(|c: char| c == ',' || c.is_whitespace())
        {
            if line.is_empty() {
                continue;
            }
            match line.parse::<OfficerId>() {
                Ok(officer) => officers.push(officer),
                Err(_) => {
                    return Ok(fail(FieldError {
                        field: "recipient_officers".into(),
                        message: T::ErrOfficerId.in_(lang).into(),
                    }))
                }
            }
        }
        let codes = |name: &str| -> Vec<String> {
            posted
                .get(name)
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let days =
            ["signed_at", "valid_from", "valid_until"].map(|name| date_field(&posted, name, lang));
        let [signed_on, from, until] = days;
        let (signed_on, from, until) = match (signed_on, from, until) {
            (Ok(s), Ok(f), Ok(u)) => (s, f, u),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Ok(fail(e)),
        };
        // A consent runs from the first moment of its first day to the end
        // of its last day; it is signed on the day given.
        let (Some(signed_at), Some(valid_from), Some(valid_until)) = (
            crate::i18n::start_of_day(signed_on),
            crate::i18n::start_of_day(from),
            until.succ_opt().and_then(crate::i18n::start_of_day),
        ) else {
            return Ok(fail(FieldError {
                field: "valid_until".into(),
                message: T::ErrDate.in_(lang).into(),
            }));
        };
        let draft = ConsentDraft {
            recipient_officers: officers,
            recipient_agencies: codes("recipient_agencies"),
            from_agencies: codes("from_agencies"),
            kinds: KINDS
                .iter()
                .filter(|k| !posted.get(&format!("kind-{}", k.as_str())).is_empty())
                .map(|k| k.as_str().to_owned())
                .collect(),
            purpose: posted.get("purpose").to_owned(),
            signed_at,
            valid_from,
            valid_until,
            evidence_method: posted.get("evidence.method").to_owned(),
            document_sha256: posted.get("evidence.document_sha256").trim().to_owned(),
        };
        match session.record_consent(&signed.caller.caller, client, draft) {
            Ok(_) => Ok(layout::redirect(&format!("/clients/{client}/manage"))),
            Err(AppError::Invalid { field, detail }) => {
                // The use case names the API's fields; the form's are the same
                // but for the recipients' nesting.
                let field = match field.as_str() {
                    "recipients.officers" => "recipient_officers".to_owned(),
                    "recipients.agencies" => "recipient_agencies".to_owned(),
                    other => other.split('[').next().unwrap_or(other).to_owned(),
                };
                Ok(fail(field_error(lang, field, &detail)))
            }
            Err(AppError::UnknownReference(field)) => Ok(fail(FieldError {
                field: if field == "agencies" {
                    "recipient_agencies".into()
                } else {
                    "recipient_officers".into()
                },
                message: T::NotRegistered.in_(lang).into(),
            })),
            Err(other) => Err(PageError::App(other)),
        }
    })
    .await
}

fn consent_page(
    ctx: &PageCtx,
    client: ClientId,
    posted: &Posted,
    error: Option<&FieldError>,
    status: StatusCode,
) -> Rendered {
    let lang = ctx.lang;
    let fields = consent_fields(lang);
    let title = ctx.t(T::RecordConsent);
    let body = html! {
        h1 { (title) }
        p { a href={ "/clients/" (client) "/manage" } { (ctx.t(T::BackToClient)) } }
        (forms::summary(lang, error, &fields))
        form method="post" action={ "/clients/" (client) "/consents/new" } novalidate {
            input type="hidden" name="csrf" value=(ctx.csrf());
            @for field in fields.iter().take(3) { (forms::field(lang, field, posted, error)) }
            fieldset {
                legend { (ctx.t(T::KindsField)) " " span.optional { "(" (ctx.t(T::EmptyMeansEveryKind)) ")" } }
                @for field in fields.iter().skip(3).take(KINDS.len()) { (forms::field(lang, field, posted, error)) }
            }
            @for field in fields.iter().skip(3 + KINDS.len()) { (forms::field(lang, field, posted, error)) }
            div.field {
                label for="evidence-file" { (ctx.t(T::DocumentFile)) " " span.optional { "(" (ctx.t(T::Optional)) ")" } }
                p.hint #evidence-file-hint { (ctx.t(T::DocumentFileHint)) }
                input #evidence-file type="file" data-sha256-into="f-evidence-document_sha256"
                    aria-describedby="evidence-file-hint";
            }
            div.actions { button type="submit" { (ctx.t(T::RecordConsent)) } }
        }
    };
    layout::respond(status, &layout::page(ctx, title, body))
}

// ---------- erasure ----------

/// `GET /clients/{id}/erase`: what erasure does, and the confirmation.
pub async fn erase_page(req: HttpRequest, client: web::Path<String>) -> HttpResponse {
    let client = client.into_inner();
    signed_page(&req, move |_, _, ctx| {
        let client: ClientId = id(&client)?;
        Ok(erasure(
            ctx,
            client,
            &Posted::default(),
            None,
            StatusCode::OK,
        ))
    })
    .await
}

fn erase_fields(lang: Lang) -> Vec<Field> {
    vec![
        Field::new("reason", T::EraseReason.in_(lang), Input::TextArea).required(),
        Field::new("confirm", T::EraseConfirm.in_(lang), Input::Checkbox),
    ]
}

fn erasure(
    ctx: &PageCtx,
    client: ClientId,
    posted: &Posted,
    error: Option<&FieldError>,
    status: StatusCode,
) -> Rendered {
    let lang = ctx.lang;
    let fields = erase_fields(lang);
    let title = ctx.t(T::EraseClient);
    let body = html! {
        h1 { (title) }
        p { a href={ "/clients/" (client) "/manage" } { (ctx.t(T::BackToClient)) } }
        (forms::summary(lang, error, &fields))
        p.warning { strong { (ctx.t(T::EraseWarning)) } }
        form method="post" action={ "/clients/" (client) "/erase" } novalidate {
            input type="hidden" name="csrf" value=(ctx.csrf());
            @for field in &fields { (forms::field(lang, field, posted, error)) }
            div.actions { button.danger type="submit" { (ctx.t(T::EraseClient)) } }
        }
    };
    layout::respond(status, &layout::page(ctx, title, body))
}

/// `POST /clients/{id}/erase`: only with the confirmation ticked.
pub async fn erase(req: HttpRequest, client: web::Path<String>, form: Form) -> HttpResponse {
    let client = client.into_inner();
    let posted = Posted::new(form.into_inner());
    signed_page(&req, move |session, signed, ctx| {
        signed.require_csrf(&posted)?;
        let client: ClientId = id(&client)?;
        let lang = ctx.lang;
        if posted.get("confirm").is_empty() {
            let error = FieldError {
                field: "confirm".into(),
                message: T::ErrConfirm.in_(lang).into(),
            };
            return Ok(erasure(
                ctx,
                client,
                &posted,
                Some(&error),
                StatusCode::BAD_REQUEST,
            ));
        }
        match session.erase_client(&signed.caller.caller, client, posted.get("reason")) {
            Ok(()) => Ok(layout::redirect("/clients")),
            Err(AppError::Invalid { field, detail }) => {
                let error = field_error(lang, field, &detail);
                Ok(erasure(
                    ctx,
                    client,
                    &posted,
                    Some(&error),
                    StatusCode::BAD_REQUEST,
                ))
            }
            Err(other) => Err(PageError::App(other)),
        }
    })
    .await
}
