//! Proposals and invitations (PRODUCT §5): what a freelancer sends, what each side may do
//! with it afterwards, and which list it shows up in.

use super::ids::{FileId, InvitationId, JobId, ProposalId, UserId};
use super::job::{Job, ProjectDuration, MAX_ATTACHMENTS, MAX_BOOST_CONNECTS};
use super::money::{Money, MoneyInput};
use super::rules::{unique_items, AmountRule, TextRule, POSITIVE_AMOUNT};
use super::Violations;

pub const COVER_LETTER: TextRule = TextRule::new(20, 5_000);
pub const ANSWER: TextRule = TextRule::new(1, 2_000);
/// A bid: more than zero.
pub const BID: AmountRule = POSITIVE_AMOUNT;
/// At most one answer per screening question a job may have.
pub const MAX_ANSWERS: usize = super::job::MAX_SCREENING_QUESTIONS;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProposalState {
    Submitted,
    Shortlisted,
    Archived,
    Declined,
    Withdrawn,
    Hired,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The freelancer applied and paid Connects.
    Applied,
    /// The freelancer accepted a client's invitation, free of Connects.
    Invited,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BoostState {
    /// Holds one of the job's top slots; its Connects are spent.
    Active,
    /// Lost its slot to a higher bid; its Connects were refunded.
    Outbid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Boost {
    pub connects: u32,
    pub state: BoostState,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Proposal {
    pub id: ProposalId,
    pub job_id: JobId,
    pub freelancer_id: UserId,
    pub client_id: UserId,
    pub origin: Origin,
    pub cover_letter: String,
    pub bid: Money,
    pub duration: ProjectDuration,
    pub answers: Vec<String>,
    pub attachments: Vec<FileId>,
    /// Connects paid to apply (0 for invited proposals).
    pub connects_spent: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boost: Option<Boost>,
    /// Set once the applicant's Connects came back because the job was cancelled.
    #[serde(default)]
    pub connects_refunded: bool,
    pub state: ProposalState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Removed by an admin on a report: withdrawn if it was still open, and hidden from the
    /// client from then on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime<Utc>>,
    pub version: u64,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalDraft {
    #[schemars(transform = COVER_LETTER.schema())]
    pub cover_letter: String,
    #[schemars(transform = BID.schema())]
    pub bid: MoneyInput,
    pub duration: ProjectDuration,
    /// One answer per screening question of the job, in order.
    #[serde(default)]
    #[schemars(length(max = MAX_ANSWERS), transform = ANSWER.items_schema())]
    pub answers: Vec<String>,
    #[serde(default)]
    #[schemars(length(max = MAX_ATTACHMENTS), transform = unique_items)]
    pub attachments: Vec<FileId>,
    /// Connects bid for a top slot in the job's proposal list (0 = no boost).
    #[serde(default)]
    #[schemars(range(max = MAX_BOOST_CONNECTS))]
    pub boost_connects: u32,
}

/// A draft checked against the job it is for.
#[derive(Clone, Debug, PartialEq)]
pub struct ProposalContent {
    pub cover_letter: String,
    pub bid: Money,
    pub duration: ProjectDuration,
    pub answers: Vec<String>,
    pub attachments: Vec<FileId>,
    pub boost_connects: u32,
}

impl ProposalDraft {
    pub fn check(&self, job: &Job) -> Result<ProposalContent, Violations> {
        let mut v = Violations::default();
        let cover_letter = COVER_LETTER.check(&mut v, "cover_letter", &self.cover_letter);
        let bid = match BID.check(&mut v, "bid", &self.bid) {
            Some(bid) if bid.currency != job.terms.budget_ceiling().currency => {
                v.push("bid", "bid in the job's currency");
                None
            }
            bid => bid,
        };
        // Every screening question gets an answer, in order (§5.1).
        if self.answers.len() != job.screening_questions.len() {
            v.push(
                "answers",
                format!(
                    "answer each of the job's {} screening questions",
                    job.screening_questions.len()
                ),
            );
        }
        let answers = self
            .answers
            .iter()
            .enumerate()
            .map(|(i, a)| ANSWER.check(&mut v, &format!("answers[{i}]"), a))
            .collect();
        v.check(
            self.attachments.len() <= MAX_ATTACHMENTS,
            "attachments",
            format!("at most {MAX_ATTACHMENTS} files"),
        );
        v.check(
            self.boost_connects <= MAX_BOOST_CONNECTS,
            "boost_connects",
            format!("at most {MAX_BOOST_CONNECTS}"),
        );
        v.into_result()?;
        Ok(ProposalContent {
            cover_letter,
            bid: bid.expect("valid when there are no violations"),
            duration: self.duration,
            answers,
            attachments: self.attachments.clone(),
            boost_connects: self.boost_connects,
        })
    }
}

/// What the freelancer may still change while the client decides.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalEdit {
    #[schemars(transform = BID.schema())]
    pub bid: Option<MoneyInput>,
    #[schemars(transform = COVER_LETTER.schema())]
    pub cover_letter: Option<String>,
    pub duration: Option<ProjectDuration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientAction {
    Shortlist,
    Archive,
    Decline,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProposalRuleViolation {
    #[error("the proposal is {0:?} and can no longer change")]
    Final(ProposalState),
    #[error("the job no longer accepts changes to proposals")]
    JobClosed,
    #[error("this job is invite-only: answer your invitation instead")]
    InvitationRequired,
    #[error("the client paused this job; it takes no applications for now")]
    JobPaused,
    #[error("the fourth boosted slot holds {lowest_winning} Connects; bid more to win one")]
    BoostTooLow { lowest_winning: u32 },
    #[error("this proposal needs {needed} Connects; you have {balance}")]
    InsufficientConnects { needed: u32, balance: i64 },
}

impl Proposal {
    pub fn new(
        id: ProposalId,
        job: &Job,
        freelancer_id: UserId,
        origin: Origin,
        content: ProposalContent,
        now: DateTime<Utc>,
    ) -> Proposal {
        Proposal {
            id,
            job_id: job.id.clone(),
            freelancer_id,
            client_id: job.client_id.clone(),
            origin,
            connects_spent: match origin {
                Origin::Applied => job.connects_cost,
                Origin::Invited => 0,
            },
            cover_letter: content.cover_letter,
            bid: content.bid,
            duration: content.duration,
            answers: content.answers,
            attachments: content.attachments,
            boost: None,
            connects_refunded: false,
            state: ProposalState::Submitted,
            created_at: now,
            updated_at: now,
            removed_at: None,
            version: 1,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(
            self.state,
            ProposalState::Submitted | ProposalState::Shortlisted
        )
    }

    /// Connects the freelancer would get back if the job were cancelled now: the application
    /// fee and a boost still holding its slot (an outbid boost was refunded already).
    pub fn refundable_connects(&self) -> u32 {
        if self.connects_refunded {
            return 0;
        }
        let boost = match &self.boost {
            Some(Boost {
                connects,
                state: BoostState::Active,
            }) => *connects,
            _ => 0,
        };
        self.connects_spent + boost
    }

    pub fn edit(
        &self,
        edit: ProposalEdit,
        job: &Job,
        now: DateTime<Utc>,
    ) -> Result<Proposal, Result<Violations, ProposalRuleViolation>> {
        if !self.is_open() {
            return Err(Err(ProposalRuleViolation::Final(self.state)));
        }
        if !job.accepts_proposals(now) {
            return Err(Err(ProposalRuleViolation::JobClosed));
        }
        let draft = ProposalDraft {
            cover_letter: edit
                .cover_letter
                .unwrap_or_else(|| self.cover_letter.clone()),
            bid: edit.bid.unwrap_or(MoneyInput {
                amount: self.bid.amount.to_string(),
                currency: self.bid.currency,
            }),
            duration: edit.duration.unwrap_or(self.duration),
            answers: self.answers.clone(),
            attachments: self.attachments.clone(),
            boost_connects: 0,
        };
        let content = draft.check(job).map_err(Ok)?;
        let mut next = self.clone();
        next.cover_letter = content.cover_letter;
        next.bid = content.bid;
        next.duration = content.duration;
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }

    pub fn withdraw(&self, now: DateTime<Utc>) -> Result<Proposal, ProposalRuleViolation> {
        self.move_to(ProposalState::Withdrawn, now)
    }

    /// An admin takes the proposal down on a report: a proposal the client could still act on
    /// is withdrawn (its Connects stay spent: they are what makes spam cost something), and
    /// whatever its state, the client no longer sees it.
    pub fn remove(&self, now: DateTime<Utc>) -> Proposal {
        let mut next = self.clone();
        if matches!(
            self.state,
            ProposalState::Submitted | ProposalState::Shortlisted | ProposalState::Archived
        ) {
            next.state = ProposalState::Withdrawn;
        }
        next.removed_at = Some(now);
        next.updated_at = now;
        next.version += 1;
        next
    }

    /// Shortlist and archive may be undone by the other; a decline is final.
    pub fn client_action(
        &self,
        action: ClientAction,
        now: DateTime<Utc>,
    ) -> Result<Proposal, ProposalRuleViolation> {
        let target = match action {
            ClientAction::Shortlist => ProposalState::Shortlisted,
            ClientAction::Archive => ProposalState::Archived,
            ClientAction::Decline => ProposalState::Declined,
        };
        let reopenable = self.state == ProposalState::Archived && action != ClientAction::Archive;
        if !self.is_open() && !reopenable {
            return Err(ProposalRuleViolation::Final(self.state));
        }
        let mut next = self.clone();
        next.state = target;
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }

    fn move_to(
        &self,
        state: ProposalState,
        now: DateTime<Utc>,
    ) -> Result<Proposal, ProposalRuleViolation> {
        if !self.is_open() {
            return Err(ProposalRuleViolation::Final(self.state));
        }
        let mut next = self.clone();
        next.state = state;
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }
}

/// The freelancer's lists (§5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FreelancerList {
    /// Applications waiting for the client.
    Submitted,
    /// The client engaged: shortlisted or hired.
    Active,
    /// Proposals that came from invitations.
    Invited,
    /// Withdrawn, declined or archived.
    Archived,
}

impl FreelancerList {
    pub fn contains(self, proposal: &Proposal) -> bool {
        use ProposalState::*;
        match self {
            FreelancerList::Submitted => {
                proposal.state == Submitted && proposal.origin == Origin::Applied
            }
            FreelancerList::Active => matches!(proposal.state, Shortlisted | Hired),
            FreelancerList::Invited => {
                proposal.origin == Origin::Invited && proposal.state == Submitted
            }
            FreelancerList::Archived => matches!(proposal.state, Archived | Declined | Withdrawn),
        }
    }
}

/// The client's view of a job's proposals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientList {
    /// Everything not archived, declined or withdrawn.
    All,
    Shortlisted,
    Archived,
}

impl ClientList {
    /// A proposal an admin removed is in none of them.
    pub fn contains(self, proposal: &Proposal) -> bool {
        use ProposalState::*;
        if proposal.removed_at.is_some() {
            return false;
        }
        match self {
            ClientList::All => matches!(proposal.state, Submitted | Shortlisted | Hired),
            ClientList::Shortlisted => proposal.state == Shortlisted,
            ClientList::Archived => matches!(proposal.state, Archived | Declined | Withdrawn),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    Pending,
    Accepted,
    Declined,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Invitation {
    pub id: InvitationId,
    pub job_id: JobId,
    pub client_id: UserId,
    pub freelancer_id: UserId,
    pub message: String,
    pub state: InvitationState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<ProposalId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::job::JobDraft;

    fn now() -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse().unwrap()
    }

    fn job(questions: &[&str]) -> Job {
        let draft: JobDraft = serde_json::from_value(serde_json::json!({
            "title": "Build a Rust API", "description": "A serverless API on AWS Lambda with DynamoDB.",
            "category": "web-mobile-software-dev", "skills": ["rust"], "experience_level": "expert",
            "type": "fixed", "budget": {"amount": "600", "currency": "USD"}, "duration": "1-3 months",
            "screening_questions": questions
        }))
        .unwrap();
        Job::post(
            JobId::generate(now()),
            UserId::generate(now()),
            draft.check().unwrap(),
            now(),
        )
    }

    fn draft(answers: &[&str]) -> ProposalDraft {
        serde_json::from_value(serde_json::json!({
            "cover_letter": "I have built three of these APIs in Rust.",
            "bid": {"amount": "550.00", "currency": "USD"}, "duration": "1-3 months",
            "answers": answers
        }))
        .unwrap()
    }

    #[test]
    fn every_screening_question_needs_an_answer() {
        let job = job(&["Have you used DynamoDB?"]);
        assert_eq!(draft(&[]).check(&job).unwrap_err().0[0].field, "answers");
        assert_eq!(
            draft(&[" "]).check(&job).unwrap_err().0[0].field,
            "answers[0]"
        );
        assert!(draft(&["Yes, for years."]).check(&job).is_ok());
    }

    #[test]
    fn applied_proposals_cost_the_jobs_connects_invited_ones_nothing() {
        let job = job(&[]);
        let content = draft(&[]).check(&job).unwrap();
        let applied = Proposal::new(
            ProposalId::generate(now()),
            &job,
            UserId::generate(now()),
            Origin::Applied,
            content.clone(),
            now(),
        );
        assert_eq!(applied.connects_spent, 6);
        let invited = Proposal::new(
            ProposalId::generate(now()),
            &job,
            UserId::generate(now()),
            Origin::Invited,
            content,
            now(),
        );
        assert_eq!(invited.connects_spent, 0);
        assert!(FreelancerList::Invited.contains(&invited));
        assert!(FreelancerList::Submitted.contains(&applied));
    }

    #[test]
    fn declines_are_final_archives_are_not() {
        let job = job(&[]);
        let p = Proposal::new(
            ProposalId::generate(now()),
            &job,
            UserId::generate(now()),
            Origin::Applied,
            draft(&[]).check(&job).unwrap(),
            now(),
        );
        let archived = p.client_action(ClientAction::Archive, now()).unwrap();
        let shortlisted = archived
            .client_action(ClientAction::Shortlist, now())
            .unwrap();
        let declined = shortlisted
            .client_action(ClientAction::Decline, now())
            .unwrap();
        assert_eq!(
            declined.client_action(ClientAction::Shortlist, now()),
            Err(ProposalRuleViolation::Final(ProposalState::Declined))
        );
        assert!(declined.withdraw(now()).is_err());
        assert_eq!(declined.version, 4);
    }

    #[test]
    fn refundable_connects_count_only_live_boosts_once() {
        let job = job(&[]);
        let mut p = Proposal::new(
            ProposalId::generate(now()),
            &job,
            UserId::generate(now()),
            Origin::Applied,
            draft(&[]).check(&job).unwrap(),
            now(),
        );
        p.boost = Some(Boost {
            connects: 5,
            state: BoostState::Active,
        });
        assert_eq!(p.refundable_connects(), 11);
        p.boost.as_mut().unwrap().state = BoostState::Outbid;
        assert_eq!(p.refundable_connects(), 6);
        p.connects_refunded = true;
        assert_eq!(p.refundable_connects(), 0);
    }
}
