//! Display names of the built-in worlds: agents, customers and bridged-in outside parties.

use super::AGENT_COUNT;

const AGENT_NAMES: [&str; AGENT_COUNT] = [
    "Ava Thompson",
    "Liam Carter",
    "Noah Patel",
    "Emma Rodriguez",
    "Olivia Nguyen",
    "Mason Brooks",
    "Sophia Kim",
    "Lucas Meyer",
    "Isabella Rossi",
    "Ethan Walker",
    "Mia Hernandez",
    "James O'Connor",
    "Amelia Schmidt",
    "Benjamin Adeyemi",
];

const FIRST_NAMES: [&str; 20] = [
    "Aiden", "Bella", "Caleb", "Dana", "Elias", "Fiona", "Gabriel", "Harper", "Ivan", "Jade",
    "Kai", "Layla", "Miles", "Nina", "Owen", "Paige", "Quinn", "Ruby", "Simon", "Tessa",
];
const LAST_NAMES: [&str; 20] = [
    "Abbott",
    "Bauer",
    "Castillo",
    "Dawson",
    "Ellis",
    "Foster",
    "Garcia",
    "Hayes",
    "Ibrahim",
    "Jovanovic",
    "Keller",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okoye",
    "Park",
    "Quintero",
    "Reyes",
    "Sato",
    "Turner",
];

/// The display name of agent index `i` (0-based): the demo's names first, then generated ones.
pub(super) fn agent_name(i: usize) -> String {
    if let Some(n) = AGENT_NAMES.get(i) {
        return (*n).to_owned();
    }
    let k = i - AGENT_COUNT;
    let combos = FIRST_NAMES.len() * LAST_NAMES.len();
    let base = format!(
        "{} {}",
        FIRST_NAMES[k % FIRST_NAMES.len()],
        LAST_NAMES[(k / FIRST_NAMES.len()) % LAST_NAMES.len()]
    );
    if k < combos {
        base
    } else {
        format!("{base} {}", k / combos + 1)
    }
}

/// Outside parties a user bridges in directly (no queue).
pub(super) const BRIDGE_PARTIES: [&str; 6] = [
    "Northwind Insurance",
    "Contoso Legal",
    "Fabrikam Claims",
    "Tailspin Travel",
    "Litware Escalations",
    "Adatum Interpreter",
];

pub(super) const CUSTOMER_NAMES: [&str; 16] = [
    "Jordan Blake",
    "Priya Raman",
    "Marcus Lee",
    "Hannah Fischer",
    "Diego Alvarez",
    "Chloe Dubois",
    "Samuel Okafor",
    "Grace Liu",
    "Victor Petrov",
    "Nora Jensen",
    "Omar Haddad",
    "Lena Novak",
    "Tomás Silva",
    "Yuki Tanaka",
    "Rachel Green",
    "Felix Wagner",
];
