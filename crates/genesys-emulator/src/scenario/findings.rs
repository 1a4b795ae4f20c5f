//! The idle-leg worlds of issue 8: each holds one kind of finding the detector must see, next to
//! a healthy call it must leave alone. Times are relative to the load time, so "held for 20
//! minutes" is true the moment the scenario loads.
//!
//! | scenario | the finding |
//! |---|---|
//! | `stuck-leg` | Support: the customer and agent2 hung up 10 min ago; agent1 stays alone (`stuck_leg` fault) |
//! | `no-outside-party` | Billing: the customer left 12 min ago, agent5 and agent6 still talk; a queue-less bridge of agent4 and agent7 (purpose `user`) whose external party left |
//! | `long-hold` | Sales: external "Contoso Legal" held for 20 min (with customer and agent8); Retention: the customer held for 20 min by agent11 |
//! | `long-mute` | Sales: agent10 muted (with customer and agent9) since the load |
//! | `silent-party` | Billing: the customer (with agent13) never speaks; transcription licensed and on |
//! | `unlicensed-transcription` | Retention: customer and agent14; transcription switched on but the org is not licensed |
//! | `patch-ignored` | Retention: external "Litware Escalations" (with customer and agent12) ignores every participant PATCH (`ignore_patch` fault) but yields to the communication disconnect |
//! | `idle` | every finding above but the licence one, in one licensed, transcribed org |
//!
//! Every one of them also has the healthy call: a Support customer talking with agent3.

use chrono::Duration;

use super::builder::Builder;
use crate::config::ScenarioName;
use crate::factory::{LegSpec, set_held, set_muted};
use crate::faults::FaultSpec;
use crate::model::{Conversation, LegState};

/// What an idle-leg world adds beyond its calls.
#[derive(Default)]
pub(super) struct Extras {
    /// Standing faults installed with the world (and again on reset).
    pub faults: Vec<FaultSpec>,
    /// Parties that never speak on their own: (conversation id, participant id).
    pub silenced: Vec<(String, String)>,
    /// Whether the org is licensed for transcription.
    pub licensed: bool,
    /// Whether transcription is switched on.
    pub enabled: bool,
}

const SUPPORT: usize = 0;
const BILLING: usize = 1;
const SALES: usize = 2;
const RETENTION: usize = 3;

/// The id of the participant at `i` (the ACD leg sits at 1 on queue calls).
fn pid(conv: &Conversation, i: usize) -> String {
    conv.participants[i].id.clone()
}

impl Builder<'_> {
    /// The calls and extras of an idle-leg world (`None` for the other scenarios).
    pub(super) fn findings(&mut self, name: ScenarioName) -> Option<(Vec<Conversation>, Extras)> {
        let mut x = Extras {
            licensed: true,
            ..Extras::default()
        };
        let mut out = vec![self.healthy()];
        match name {
            ScenarioName::StuckLeg => out.push(self.stuck_leg(&mut x)),
            ScenarioName::NoOutsideParty => out.extend(self.no_outside_party()),
            ScenarioName::LongHold => out.extend(self.long_hold()),
            ScenarioName::LongMute => out.push(self.long_mute()),
            ScenarioName::SilentParty => {
                x.enabled = true;
                out.push(self.silent_party(&mut x));
            }
            ScenarioName::UnlicensedTranscription => {
                x.licensed = false;
                x.enabled = true;
                out.push(self.unlicensed());
            }
            ScenarioName::PatchIgnored => out.push(self.patch_ignored(&mut x)),
            ScenarioName::Idle => {
                x.enabled = true;
                out.push(self.stuck_leg(&mut x));
                out.extend(self.no_outside_party());
                out.extend(self.long_hold());
                out.push(self.long_mute());
                out.push(self.silent_party(&mut x));
                out.push(self.patch_ignored(&mut x));
            }
            ScenarioName::Demo | ScenarioName::Empty | ScenarioName::Load => return None,
        }
        Some((out, x))
    }

    /// A Support customer talking with agent3 for four minutes: nothing to find.
    fn healthy(&mut self) -> Conversation {
        let t = self.ago(240);
        let c = self.customer(t, SUPPORT);
        let a = self.agent_leg(3, SUPPORT, t + Duration::seconds(10), &c);
        self.call(SUPPORT, &[c, a])
    }

    /// Agent1 alone on a Support call whose customer and consultant hung up 10 minutes ago.
    fn stuck_leg(&mut self, x: &mut Extras) -> Conversation {
        let t = self.ago(1500);
        let gone = self.ago(600);
        let c = self
            .customer(t, SUPPORT)
            .state(LegState::Disconnected, Some("endpoint"))
            .ended_at(gone);
        let a1 = self.agent_leg(1, SUPPORT, t + Duration::seconds(15), &c);
        let a2 = self
            .agent_leg(2, SUPPORT, t + Duration::seconds(300), &c)
            .state(LegState::Disconnected, Some("client"))
            .ended_at(gone);
        let conv = self.call(SUPPORT, &[c, a1, a2]);
        x.faults.push(FaultSpec::StuckLeg {
            conversation_id: conv.id.clone(),
        });
        conv
    }

    /// Two agents left on a Billing call 12 minutes after its customer hung up, and a queue-less
    /// bridge of two users whose external party left.
    fn no_outside_party(&mut self) -> Vec<Conversation> {
        let t = self.ago(1800);
        let gone = self.ago(720);
        let c = self
            .customer(t, BILLING)
            .state(LegState::Disconnected, Some("endpoint"))
            .ended_at(gone);
        let a5 = self.agent_leg(5, BILLING, t + Duration::seconds(12), &c);
        let a6 = self.agent_leg(6, BILLING, t + Duration::seconds(200), &c);
        let queued = self.call(BILLING, &[c, a5, a6]);

        let t = self.ago(1300);
        let (u4, u7) = (self.agent(4).clone(), self.agent(7).clone());
        let host = format!("sip:{}@demo.example", u4.id);
        let guest = format!("sip:{}@demo.example", u7.id);
        let phone = "tel:+15550140777";
        let legs = [
            LegSpec::new("user", &u4.name, &host, t)
                .user(&u4.id)
                .direction("outbound")
                .numbers(&host, &guest, &guest),
            LegSpec::new(
                "external",
                "Fabrikam Claims",
                phone,
                t + Duration::seconds(5),
            )
            .direction("outbound")
            .numbers(&host, phone, phone)
            .state(LegState::Disconnected, Some("endpoint"))
            .ended_at(self.ago(900)),
            LegSpec::new("user", &u7.name, &guest, t + Duration::seconds(40))
                .user(&u7.id)
                .numbers(&host, &guest, &host),
        ];
        let bridge = super::assemble_call(&mut self.rng, t, None, &legs);
        vec![queued, bridge]
    }

    /// An external party held for 20 minutes in a Sales conference, and a Retention customer
    /// held for 20 minutes.
    fn long_hold(&mut self) -> Vec<Conversation> {
        let since = self.ago(1200);
        let t = self.ago(2000);
        let c = self.customer(t, SALES);
        let a = self.agent_leg(8, SALES, t + Duration::seconds(20), &c);
        let e = self.external("Contoso Legal", t + Duration::seconds(400), SALES);
        let mut conference = self.call(SALES, &[c, a, e]);
        set_held(&mut conference.participants[3], true, since);

        let t = self.ago(1500);
        let c = self.customer(t, RETENTION);
        let a = self.agent_leg(11, RETENTION, t + Duration::seconds(10), &c);
        let mut two_party = self.call(RETENTION, &[c, a]);
        set_held(&mut two_party.participants[0], true, since);
        vec![conference, two_party]
    }

    /// Agent10 muted in a Sales conference (a mute carries no start time on the platform).
    fn long_mute(&mut self) -> Conversation {
        let t = self.ago(1600);
        let c = self.customer(t, SALES);
        let a9 = self.agent_leg(9, SALES, t + Duration::seconds(15), &c);
        let a10 = self.agent_leg(10, SALES, t + Duration::seconds(120), &c);
        let mut conv = self.call(SALES, &[c, a9, a10]);
        set_muted(&mut conv.participants[3], true);
        conv
    }

    /// A Billing customer who says nothing while agent13 keeps talking.
    fn silent_party(&mut self, x: &mut Extras) -> Conversation {
        let t = self.ago(900);
        let c = self.customer(t, BILLING);
        let a = self.agent_leg(13, BILLING, t + Duration::seconds(10), &c);
        let conv = self.call(BILLING, &[c, a]);
        x.silenced.push((conv.id.clone(), pid(&conv, 0)));
        conv
    }

    /// A Retention call in an org whose transcription is on but not licensed.
    fn unlicensed(&mut self) -> Conversation {
        let t = self.ago(700);
        let c = self.customer(t, RETENTION);
        let a = self.agent_leg(14, RETENTION, t + Duration::seconds(10), &c);
        self.call(RETENTION, &[c, a])
    }

    /// A Retention conference whose external party ignores the participant PATCH.
    fn patch_ignored(&mut self, x: &mut Extras) -> Conversation {
        let t = self.ago(1100);
        let c = self.customer(t, RETENTION);
        let a = self.agent_leg(12, RETENTION, t + Duration::seconds(10), &c);
        let e = self.external("Litware Escalations", t + Duration::seconds(90), RETENTION);
        let conv = self.call(RETENTION, &[c, a, e]);
        x.faults.push(FaultSpec::IgnorePatch {
            participant_id: pid(&conv, 3),
        });
        conv
    }
}
