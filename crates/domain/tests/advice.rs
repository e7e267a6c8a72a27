//! Advice for one case, from the embedded default model.

use recontact_domain::{
    advise, default_model, Case, ContactType, DeclineReason, PositionStatus, StageReached,
};

fn case() -> Case {
    Case {
        case_id: None,
        contact_type: ContactType::AgencyRecruiter,
        stage_reached: StageReached::AvailabilityCheck,
        decline_reason: DeclineReason::AcceptedOtherOffer,
        days_since_decline: 5,
        position_status: PositionStatus::Unknown,
        same_contact: false,
        misrepresentation: false,
        transparent: false,
        open_to_reinterview: true,
        years_experience: 6.0,
    }
}

#[test]
fn levers_show_the_probability_with_and_without_them() {
    let model = default_model().unwrap();
    let advice = advise(&case(), &model).unwrap();
    assert!(advice.ci[0] < advice.p_success && advice.p_success < advice.ci[1]);
    let lever = |name: &str| {
        advice
            .levers
            .iter()
            .find(|l| l.lever == name)
            .unwrap()
            .clone()
    };
    // Not yet pulled: the current probability is the one without.
    assert!((lever("same_contact").p_without - advice.p_success).abs() < 1e-12);
    assert!((lever("transparent").p_without - advice.p_success).abs() < 1e-12);
    // Already pulled: the current probability is the one with.
    assert!((lever("open_to_reinterview").p_with - advice.p_success).abs() < 1e-12);
    for name in [
        "same_contact",
        "transparent",
        "open_to_reinterview",
        "contact_now",
        "check_position_status",
    ] {
        assert!(lever(name).p_with > lever(name).p_without, "{name}");
    }
    // Ranked by gain.
    let gains: Vec<f64> = advice
        .levers
        .iter()
        .map(|l| l.p_with - l.p_without)
        .collect();
    assert!(gains.windows(2).all(|w| w[0] >= w[1]), "{gains:?}");
    // Waiting lowers the chance, steeply at first.
    let p: Vec<f64> = advice.timeline.iter().map(|w| w.p).collect();
    assert_eq!(
        advice
            .timeline
            .iter()
            .map(|w| w.days_from_now)
            .collect::<Vec<_>>(),
        [0.0, 3.0, 7.0, 30.0]
    );
    assert!(p.windows(2).all(|w| w[0] > w[1]), "{p:?}");
    assert!((p[0] - advice.p_success).abs() < 1e-12);
}

#[test]
fn contributions_are_largest_first_and_add_up() {
    let model = default_model().unwrap();
    let advice = advise(&case(), &model).unwrap();
    let sizes: Vec<f64> = advice.contributions.iter().map(|c| c.logit.abs()).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]));
    let reference = recontact_scoring::explain(
        &model,
        &recontact_scoring::reference_inputs(&model.encoding),
    );
    let sum: f64 = advice.contributions.iter().map(|c| c.logit).sum();
    assert!((sum - (advice.logit - reference.logit)).abs() < 1e-12);
    let status = advice
        .contributions
        .iter()
        .find(|c| c.term == "position_status")
        .unwrap();
    assert!(
        status
            .words
            .contains("do not know whether the position is still open"),
        "{}",
        status.words
    );
    assert!(
        advice.reference.contains("an agency recruiter"),
        "{}",
        advice.reference
    );
}

#[test]
fn cautions_follow_the_article() {
    let model = default_model().unwrap();
    assert!(advise(&case(), &model).unwrap().cautions.is_empty());
    let mut risky = case();
    risky.decline_reason = DeclineReason::OtherCommitments;
    risky.misrepresentation = true;
    risky.days_since_decline = 60;
    risky.contact_type = ContactType::CorporateRecruiter;
    risky.stage_reached = StageReached::PresentedToManager;
    risky.position_status = PositionStatus::Filled;
    let advice = advise(&risky, &model).unwrap();
    let all = advice.cautions.join("\n");
    for needle in [
        "other commitments",
        "misrepresented",
        "two weeks",
        "filled",
        "presented you to a manager",
    ] {
        assert!(all.contains(needle), "{needle} missing from\n{all}");
    }
    assert!(
        !advice
            .levers
            .iter()
            .any(|l| l.lever == "check_position_status"),
        "the status is known"
    );
}

#[test]
fn the_json_has_the_documented_keys() {
    let advice = advise(&case(), &default_model().unwrap()).unwrap();
    let json = serde_json::to_value(&advice).unwrap();
    for key in [
        "p_success",
        "ci",
        "logit",
        "contributions",
        "levers",
        "cautions",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert_eq!(json["ci"].as_array().unwrap().len(), 2);
    assert!(
        json["contributions"][0].get("term").is_some()
            && json["contributions"][0].get("logit").is_some()
    );
    for key in ["lever", "p_with", "p_without"] {
        assert!(json["levers"][0].get(key).is_some(), "{key}");
    }
}
