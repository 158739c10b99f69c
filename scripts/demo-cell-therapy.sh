#!/usr/bin/env bash
# Walks one cell-therapy case (Workflows/cell-therapy.yaml) from research into
# routine hospital use with atmpctl, the way a team would: each person signs in
# as themselves, attaches the evidence a step needs, gives the e-signatures it
# asks for, and the person responsible fires it.
#
#   ATMP_SOCKET=./.atmp/atmpd.sock ATMP_ADMIN_PASSWORD=… scripts/demo-cell-therapy.sh
#
# Needs a running atmpd that published Workflows/ and an admin account
# (ATMP_ADMIN_USER, default `admin`). Creates the team's accounts (password
# DEMO_PASSWORD) unless they exist. Prints the case id at the end.
set -euo pipefail

ctl=${ATMPCTL:-atmpctl}
admin_user=${ATMP_ADMIN_USER:-admin}
: "${ATMP_ADMIN_PASSWORD:?set ATMP_ADMIN_PASSWORD to the password of the admin account}"
password=${DEMO_PASSWORD:-demo-password-1}
docs=$(mktemp -d)
trap 'rm -rf "$docs"' EXIT

as_admin() { ATMP_USER=$admin_user ATMP_PASSWORD=$ATMP_ADMIN_PASSWORD "$ctl" "$@"; }
as() { local user=$1; shift; ATMP_USER=$user ATMP_PASSWORD=$password "$ctl" "$@"; }

# The team: one account per person, each with the role they act in.
team=(lina:project-lead quentin:qa rasmus:regulatory-affairs klara:clinical-lead paula:pharmacovigilance
      max:market-access hanna:hospital-lead henrik:hospital-lead inspector:regulator)
for member in "${team[@]}"; do
    if ! as_admin user list --json | grep -q "\"name\":\"${member%%:*}\""; then
        ATMP_NEW_PASSWORD=$password as_admin user add "${member%%:*}" --roles "${member##*:}" >/dev/null
    fi
done

case_id=$(as lina case open --template cell-therapy --title "Autologous CAR-T for r/r B-ALL" \
    --attr atmp-class=somatic-cell-therapy --attr genetically-modified=no --attr donor-type=autologous \
    --attr sponsor="Karolinska CAR-T AB" --attr product=KCT-19 --attr member-state=SE \
    --attr hospital="Karolinska University Hospital" --json | grep -o '"id":"C-[0-9]*"' | head -1 | cut -d'"' -f4)
echo "opened $case_id"

# step PERSON TRANSITION "DOCUMENT KINDS" "SIGNER:MEANING …" [REASON]
step() {
    local person=$1 transition=$2 kinds=$3 signatures=$4 reason=${5:-"$2"}
    for kind in $kinds; do
        echo "$kind for $case_id, $(date -u +%FT%TZ)" > "$docs/$kind.txt"
        as "$person" case attach "$case_id" --document "$kind" --file "$docs/$kind.txt" >/dev/null
    done
    for signature in $signatures; do
        as "${signature%%:*}" case sign "$case_id" "$transition" --meaning "${signature##*:}" \
            --reason "reviewed for $transition" >/dev/null
    done
    as "$person" case advance "$case_id" "$transition" --reason "$reason" >/dev/null
    echo "  $transition"
}

step lina proceed-without-classification "target-product-profile proof-of-concept-report" "" \
    "Class is clear: autologous somatic cell therapy"
step lina start-non-clinical "" ""
step lina non-clinical-complete "glp-study-reports" "quentin:reviewed"
step lina use-contract-manufacturer "contract-manufacturer-authorisation quality-agreement manufacturing-process-description tissue-establishment-permit donor-eligibility-records" "quentin:approved"
step lina submit-cta "clinical-trial-protocol investigators-brochure impd cta-part-two-documents" "rasmus:responsible klara:reviewed"
step rasmus validated "" ""
step rasmus assessment-concluded "" ""
step rasmus trial-authorised "cta-decision" ""
step klara first-patient-dosed "imp-batch-certificate chain-of-identity-record" "quentin:approved"
step klara start-phase-2 "clinical-study-report cta-decision imp-batch-certificate" "lina:approved quentin:approved"
step lina pivotal-from-phase-2 "clinical-study-report scientific-advice-letter" "rasmus:reviewed" \
    "Phase II is pivotal per scientific advice"
step lina submit-maa "maa-dossier risk-management-plan long-term-follow-up-plan paediatric-investigation-plan-decision jca-dossier" "rasmus:responsible quentin:reviewed"
step rasmus validated "" ""
step rasmus list-of-questions "" ""
step lina responses-submitted "loq-responses" "rasmus:responsible"
step rasmus no-outstanding-issues "" ""
step rasmus chmp-adopts-opinion "chmp-opinion" ""
step rasmus positive-opinion "" ""
step rasmus marketing-authorisation-granted "commission-decision" ""
step max jca-report-endorsed "jca-report" ""
step max submit-to-tlv "jca-report" "rasmus:authored"
step max report-to-nt-council "tlv-health-economic-report" ""
step max recommended "nt-council-recommendation" ""
step hanna centre-qualified "treatment-centre-qualification jacie-accreditation" "quentin:approved"
step hanna first-commercial-patient "logistics-plan staff-training-records traceability-procedure pharmacovigilance-system product-release-record chain-of-identity-record" "quentin:approved paula:reviewed"
step lina confirm-routine-use "long-term-follow-up-plan risk-management-plan traceability-procedure psur" \
    "hanna:approved henrik:approved paula:reviewed" "Routine use at the treatment centre, follow-up in place"

as lina case show "$case_id"
echo "$case_id"
