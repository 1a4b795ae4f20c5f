//! The drop plan in the words of the confirm dialog and the CLI's preview: the one-sentence
//! summary, each warning, and the note when a stale duplicate was replaced by the live leg. The
//! plan itself (`actions/plan.rs`) keeps only the facts: who is dropped, who remains, which
//! warnings.

use genesys_model::ParticipantId;

use crate::actions::{DropWarning, PartySummary, PlanVerdict};

/// A warning as the sentence the dialog states.
pub fn warning(w: DropWarning) -> &'static str {
    match w {
        DropWarning::CallWillEnd => {
            "The call will end for everyone: no one else would be left to talk to."
        }
        DropWarning::LastAgent => "This is the last agent on the call.",
        DropWarning::CustomerAlone => "The customer would stay on the call with no agent.",
    }
}

/// The plan's one sentence: who is dropped, who remains, then each warning (an already gone leg
/// says only that).
pub fn summary(
    target: &PartySummary,
    verdict: PlanVerdict,
    remaining: &[PartySummary],
    warnings: &[DropWarning],
) -> String {
    match verdict {
        PlanVerdict::AlreadyGone => format!("{} has already left the call.", target.label()),
        PlanVerdict::Ready => {
            let mut text = format!("Drop {}.", target.label());
            if remaining.is_empty() {
                text.push_str(" No one else is on the call.");
            } else {
                let names: Vec<String> = remaining.iter().map(PartySummary::label).collect();
                text.push_str(&format!(" Remaining: {}.", names.join(", ")));
            }
            for w in warnings {
                text.push(' ');
                text.push_str(warning(*w));
            }
            text
        }
    }
}

/// The picked leg was a stale duplicate of `name`'s: says which live leg is used instead.
pub fn stale_duplicate_resolved(
    name: &str,
    stale_leg: &ParticipantId,
    live_leg: &ParticipantId,
) -> String {
    format!(
        "{name}'s leg {stale_leg} had already ended (a stale duplicate); {name}'s live leg \
         {live_leg} is used instead."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(name: &str, purpose: &str) -> PartySummary {
        PartySummary {
            participant_id: name.into(),
            name: name.to_owned(),
            purpose: purpose.to_owned(),
            user_id: None,
        }
    }

    #[test]
    fn a_ready_plan_names_who_remains_then_each_warning() {
        let text = summary(
            &party("Ann", "agent"),
            PlanVerdict::Ready,
            &[party("Cy", "customer")],
            &[DropWarning::CallWillEnd, DropWarning::LastAgent],
        );
        assert_eq!(
            text,
            "Drop Ann (agent). Remaining: Cy (customer). The call will end for everyone: no one \
             else would be left to talk to. This is the last agent on the call."
        );
        assert_eq!(
            summary(&party("Ann", "agent"), PlanVerdict::Ready, &[], &[]),
            "Drop Ann (agent). No one else is on the call."
        );
    }

    #[test]
    fn a_gone_leg_says_only_that() {
        assert_eq!(
            summary(
                &party("Ann", "agent"),
                PlanVerdict::AlreadyGone,
                &[party("Cy", "customer")],
                &[DropWarning::LastAgent],
            ),
            "Ann (agent) has already left the call."
        );
    }

    #[test]
    fn the_stale_duplicate_note_names_both_legs() {
        assert_eq!(
            stale_duplicate_resolved("Bo", &"p-old".into(), &"p-new".into()),
            "Bo's leg p-old had already ended (a stale duplicate); Bo's live leg p-new is used \
             instead."
        );
    }
}
