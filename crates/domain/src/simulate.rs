//! A documented data-generating process for synthetic re-contact outcomes.
//!
//! The article behind this project gives directions, not numbers, so every coefficient
//! here is an assumption whose sign follows the article (see `docs/data.md` for the
//! reason behind each). Real weights come from fitting real outcome data.
//!
//! Portability: the generator is ChaCha20 seeded through `rand_core`'s documented
//! `seed_from_u64`, uniforms are built from the top 53 bits of each word, and every
//! transcendental function comes from `libm` (a pure-Rust port of musl's), never from
//! the platform's C library, so the same seed writes the same bytes on any machine.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

use crate::case::{Case, MAX_DAYS_SINCE_DECLINE, MAX_YEARS_EXPERIENCE};
use crate::levels::{ContactType, DeclineReason, PositionStatus, StageReached};

/// The true logit-scale effects of the data-generating process.
///
/// Reference situation (all effects zero): an agency recruiter who only checked
/// availability, declined because of another offer, re-contacted on the day of the
/// decline, position open, different contact, no misrepresentation, not transparent,
/// not open to a new interview, zero years of experience.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrueEffects {
    /// Logit of the reference situation.
    pub intercept: f64,
    /// Corporate recruiter versus agency recruiter.
    pub corporate_recruiter: f64,
    /// Hiring manager versus agency recruiter.
    pub hiring_manager: f64,
    /// Screening call versus availability check.
    pub screening_call: f64,
    /// Presented to a manager versus availability check.
    pub presented_to_manager: f64,
    /// Interviewed versus availability check.
    pub interviewed: f64,
    /// Extra effect for a corporate recruiter who had presented the candidate to a manager.
    pub corporate_x_presented: f64,
    /// Extra effect for a corporate recruiter whose candidate had been interviewed.
    pub corporate_x_interviewed: f64,
    /// Declined for other commitments versus for another offer.
    pub other_commitments: f64,
    /// Declined as not interested versus for another offer.
    pub not_interested: f64,
    /// Declined for another reason versus for another offer.
    pub other_reason: f64,
    /// Multiplier of `ln(1 + days / days_scale)`: the steep-early decline with time.
    pub days_log: f64,
    /// Days in which the odds fall the first notch ("more than a few days").
    pub days_scale: f64,
    /// Position status unknown versus open.
    pub status_unknown: f64,
    /// Position filled versus open.
    pub status_filled: f64,
    /// Same contact details as during the process.
    pub same_contact: f64,
    /// Suspected misrepresentation of availability or skills.
    pub misrepresentation: f64,
    /// Honest, transparent message.
    pub transparent: f64,
    /// Prepared to interview again.
    pub open_to_reinterview: f64,
    /// Per year of experience.
    pub years_experience: f64,
}

/// The effects used by [`Simulator`]; `docs/data.md` gives the reason for each.
pub const TRUE_EFFECTS: TrueEffects = TrueEffects {
    intercept: 0.9,
    corporate_recruiter: -0.4,
    hiring_manager: -0.2,
    screening_call: -0.25,
    presented_to_manager: -0.45,
    interviewed: -0.6,
    corporate_x_presented: -0.9,
    corporate_x_interviewed: -0.6,
    other_commitments: -1.0,
    not_interested: -1.4,
    other_reason: -0.5,
    days_log: -0.75,
    days_scale: 3.0,
    status_unknown: -0.8,
    status_filled: -2.5,
    same_contact: 0.5,
    misrepresentation: -1.8,
    transparent: 0.6,
    open_to_reinterview: 0.7,
    years_experience: 0.03,
};

impl TrueEffects {
    /// The true logit of success for a case.
    pub fn logit(&self, case: &Case) -> f64 {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let corporate = case.contact_type == ContactType::CorporateRecruiter;
        let mut eta = self.intercept;
        eta += match case.contact_type {
            ContactType::AgencyRecruiter => 0.0,
            ContactType::CorporateRecruiter => self.corporate_recruiter,
            ContactType::HiringManager => self.hiring_manager,
        };
        eta += match case.stage_reached {
            StageReached::AvailabilityCheck => 0.0,
            StageReached::ScreeningCall => self.screening_call,
            StageReached::PresentedToManager => {
                self.presented_to_manager + flag(corporate) * self.corporate_x_presented
            }
            StageReached::Interviewed => {
                self.interviewed + flag(corporate) * self.corporate_x_interviewed
            }
        };
        eta += match case.decline_reason {
            DeclineReason::AcceptedOtherOffer => 0.0,
            DeclineReason::OtherCommitments => self.other_commitments,
            DeclineReason::NotInterested => self.not_interested,
            DeclineReason::Other => self.other_reason,
        };
        eta += self.days_log * libm::log1p(f64::from(case.days_since_decline) / self.days_scale);
        eta += match case.position_status {
            PositionStatus::Open => 0.0,
            PositionStatus::Unknown => self.status_unknown,
            PositionStatus::Filled => self.status_filled,
        };
        eta += flag(case.same_contact) * self.same_contact;
        eta += flag(case.misrepresentation) * self.misrepresentation;
        eta += flag(case.transparent) * self.transparent;
        eta += flag(case.open_to_reinterview) * self.open_to_reinterview;
        eta += case.years_experience * self.years_experience;
        eta
    }

    /// The true probability of success for a case.
    pub fn probability(&self, case: &Case) -> f64 {
        1.0 / (1.0 + libm::exp(-self.logit(case)))
    }
}

/// Draws synthetic re-contact attempts and their outcomes, one at a time.
///
/// Marginals (documented in `docs/data.md`): most re-contacts happen within weeks,
/// a position is more often still open the sooner the candidate writes, about two in
/// five statuses are unknown, misrepresentation is rare.
pub struct Simulator {
    rng: ChaCha20Rng,
    remaining: u64,
    next_id: u64,
    effects: TrueEffects,
}

impl Simulator {
    /// A simulator that yields `n` cases from `seed`, with the documented effects.
    ///
    /// ```rust
    /// use recontact_domain::{Simulator, TRUE_EFFECTS};
    /// let cases: Vec<_> = Simulator::new(1000, 42).collect();
    /// assert_eq!(cases.len(), 1000);
    /// assert_eq!(cases, Simulator::new(1000, 42).collect::<Vec<_>>());
    /// assert_ne!(cases, Simulator::new(1000, 43).collect::<Vec<_>>());
    /// // Outcomes are drawn from the true probabilities: the success rate is close to their mean.
    /// let rate = cases.iter().filter(|(_, success)| *success).count() as f64 / 1000.0;
    /// let mean = cases.iter().map(|(case, _)| TRUE_EFFECTS.probability(case)).sum::<f64>() / 1000.0;
    /// assert!((rate - mean).abs() < 0.05, "{rate} {mean}");
    /// ```
    pub fn new(n: u64, seed: u64) -> Self {
        Simulator::with_effects(n, seed, TRUE_EFFECTS)
    }

    /// The same process with other effects: a job market that changed, for testing
    /// whether model updating notices.
    ///
    /// ```rust
    /// use recontact_domain::{Simulator, TrueEffects, TRUE_EFFECTS};
    /// // A market where nobody is reconsidered: every true logit is below -36.
    /// let closed = TrueEffects { intercept: -40.0, ..TRUE_EFFECTS };
    /// let cases: Vec<_> = Simulator::with_effects(500, 1, closed).collect();
    /// assert!(cases.iter().all(|(case, success)| !success && closed.probability(case) < 1e-15));
    /// // The same seed draws the same situations: only the outcomes differ.
    /// let same = Simulator::new(500, 1).map(|(case, _)| case);
    /// assert!(same.eq(cases.into_iter().map(|(case, _)| case)));
    /// ```
    pub fn with_effects(n: u64, seed: u64, effects: TrueEffects) -> Self {
        Simulator {
            rng: ChaCha20Rng::seed_from_u64(seed),
            remaining: n,
            next_id: 1,
            effects,
        }
    }

    /// A uniform draw in [0, 1) with 53 random bits.
    fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform draw in (0, 1], safe for a logarithm.
    fn uniform_positive(&mut self) -> f64 {
        1.0 - self.uniform()
    }

    fn pick<T: Copy>(&mut self, choices: &[(T, f64)]) -> T {
        let u = self.uniform();
        let mut cumulative = 0.0;
        for &(value, probability) in choices {
            cumulative += probability;
            if u < cumulative {
                return value;
            }
        }
        choices[choices.len() - 1].0
    }

    fn bernoulli(&mut self, probability: f64) -> bool {
        self.uniform() < probability
    }

    fn exponential_days(&mut self, mean: f64) -> u32 {
        let days = (-mean * libm::log(self.uniform_positive())).floor();
        days.min(f64::from(MAX_DAYS_SINCE_DECLINE)) as u32
    }

    fn draw_case(&mut self) -> Case {
        use ContactType::*;
        use StageReached::*;
        let contact_type = self.pick(&[
            (AgencyRecruiter, 0.45),
            (CorporateRecruiter, 0.40),
            (HiringManager, 0.15),
        ]);
        let stages: [(StageReached, f64); 4] = match contact_type {
            AgencyRecruiter => [
                (AvailabilityCheck, 0.45),
                (ScreeningCall, 0.30),
                (PresentedToManager, 0.15),
                (Interviewed, 0.10),
            ],
            CorporateRecruiter => [
                (AvailabilityCheck, 0.30),
                (ScreeningCall, 0.30),
                (PresentedToManager, 0.25),
                (Interviewed, 0.15),
            ],
            HiringManager => [
                (AvailabilityCheck, 0.10),
                (ScreeningCall, 0.30),
                (PresentedToManager, 0.10),
                (Interviewed, 0.50),
            ],
        };
        let stage_reached = self.pick(&stages);
        let decline_reason = self.pick(&[
            (DeclineReason::AcceptedOtherOffer, 0.68),
            (DeclineReason::OtherCommitments, 0.12),
            (DeclineReason::NotInterested, 0.08),
            (DeclineReason::Other, 0.12),
        ]);
        let days_since_decline = match self.pick(&[(0u8, 0.55), (1, 0.30), (2, 0.15)]) {
            0 => self.exponential_days(10.0),
            1 => self.exponential_days(45.0),
            _ => self.exponential_days(250.0),
        };
        let open = 0.60 * (0.2 + 0.8 * libm::exp(-f64::from(days_since_decline) / 45.0));
        let position_status = self.pick(&[
            (PositionStatus::Unknown, 0.40),
            (PositionStatus::Open, open),
            (PositionStatus::Filled, 1.0 - 0.40 - open),
        ]);
        let same_contact = self.bernoulli(0.75);
        let misrepresentation = self.bernoulli(0.04);
        let transparent = self.bernoulli(0.70);
        let open_to_reinterview = self.bernoulli(0.80);
        let (u1, u2) = (self.uniform_positive(), self.uniform());
        let normal = libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2);
        let years = libm::exp(1.8 + 0.65 * normal).min(MAX_YEARS_EXPERIENCE);
        let years_experience = (years * 10.0).round() / 10.0;
        let case_id = Some(format!("rc-{:06}", self.next_id));
        self.next_id += 1;
        Case {
            case_id,
            contact_type,
            stage_reached,
            decline_reason,
            days_since_decline,
            position_status,
            same_contact,
            misrepresentation,
            transparent,
            open_to_reinterview,
            years_experience,
        }
    }
}

impl Iterator for Simulator {
    type Item = (Case, bool);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let case = self.draw_case();
        let success = self.uniform() < self.effects.probability(&case);
        Some((case, success))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_cases_other_seed_other_cases() {
        let a: Vec<_> = Simulator::new(200, 7).collect();
        let b: Vec<_> = Simulator::new(200, 7).collect();
        let c: Vec<_> = Simulator::new(200, 8).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn effect_directions_follow_the_article() {
        let t = TRUE_EFFECTS;
        assert!(
            t.corporate_x_presented < 0.0,
            "invested time makes corporate recruiters less willing"
        );
        assert!(t.other_commitments < 0.0, "the article advises against it");
        assert!(t.days_log < 0.0, "timing: later is worse");
        assert!(t.status_filled < t.status_unknown && t.status_unknown < 0.0);
        assert!(t.same_contact > 0.0 && t.transparent > 0.0 && t.open_to_reinterview > 0.0);
        assert!(t.misrepresentation < -1.0, "strongly negative");
        assert!(
            t.years_experience > 0.0 && t.years_experience < 0.1,
            "mildly positive"
        );
    }

    #[test]
    fn marginals_are_realistic() {
        let cases: Vec<_> = Simulator::new(20_000, 1).collect();
        let n = cases.len() as f64;
        let share =
            |f: &dyn Fn(&Case) -> bool| cases.iter().filter(|(c, _)| f(c)).count() as f64 / n;
        assert!(
            share(&|c| c.days_since_decline <= 42) > 0.6,
            "most within weeks"
        );
        let unknown = share(&|c| c.position_status == PositionStatus::Unknown);
        assert!((0.35..0.45).contains(&unknown));
        let misrep = share(&|c| c.misrepresentation);
        assert!((0.02..0.06).contains(&misrep), "rare");
        let rate = cases.iter().filter(|(_, s)| *s).count() as f64 / n;
        assert!((0.2..0.6).contains(&rate), "success rate {rate}");
        assert!(cases
            .iter()
            .all(|(c, _)| c.days_since_decline <= MAX_DAYS_SINCE_DECLINE
                && (0.0..=MAX_YEARS_EXPERIENCE).contains(&c.years_experience)));
    }
}
