#!/usr/bin/env bash
# Build the conflictwire flex template and (optionally) launch a run on Dataflow.
#
#   deploy/launch.sh build                      # image + template spec in gs://$BUCKET/templates/
#   deploy/launch.sh run  [extra --parameters]  # one batch run now
#   deploy/launch.sh stream                     # the streaming job (runs until drained)
#   deploy/launch.sh schedule                   # create/update the Cloud Scheduler job (deploy/scheduler.yaml)
#
# Needs gcloud (authenticated), a project with Dataflow, Artifact Registry, Cloud Build and Cloud Scheduler
# enabled, and these variables (defaults in brackets):
#   PROJECT  REGION [europe-west1]  BUCKET  DATASET [conflict_events]  FEEDS [gs://$BUCKET/feeds.txt]
#   REPOSITORY [conflictwire]  SERVICE_ACCOUNT [conflictwire-runner@$PROJECT.iam.gserviceaccount.com]
set -euo pipefail

: "${PROJECT:?set PROJECT}"
: "${BUCKET:?set BUCKET (without gs://)}"
REGION="${REGION:-europe-west1}"
DATASET="${DATASET:-conflict_events}"
FEEDS="${FEEDS:-gs://${BUCKET}/feeds.txt}"
REPOSITORY="${REPOSITORY:-conflictwire}"
SERVICE_ACCOUNT="${SERVICE_ACCOUNT:-conflictwire-runner@${PROJECT}.iam.gserviceaccount.com}"
VERSION="$(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || date +%Y%m%d%H%M)"
IMAGE="${REGION}-docker.pkg.dev/${PROJECT}/${REPOSITORY}/conflictwire:${VERSION}"
TEMPLATE="gs://${BUCKET}/templates/conflictwire.json"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

common_parameters=(
  --parameters "feeds=${FEEDS}"
  --parameters "output=bq://${PROJECT}.${DATASET}"
  --parameters "state_location=gs://${BUCKET}/state"
  --temp-location "gs://${BUCKET}/tmp"
  --staging-location "gs://${BUCKET}/staging"
  --service-account-email "${SERVICE_ACCOUNT}"
)

case "${1:-}" in
  build)
    (cd "$ROOT" && python -m schemas.generate --check && python -m deploy.generate_metadata --check \
      && python -m deploy.pin_requirements --check)
    gcloud artifacts repositories describe "$REPOSITORY" --location "$REGION" --project "$PROJECT" >/dev/null 2>&1 \
      || gcloud artifacts repositories create "$REPOSITORY" --repository-format docker --location "$REGION" \
           --project "$PROJECT"
    # Cloud Build reads the Dockerfile from deploy/ with the repository root as context.
    gcloud builds submit "$ROOT" --project "$PROJECT" --region "$REGION" \
      --config /dev/stdin <<YAML
steps:
- name: gcr.io/cloud-builders/docker
  args: [build, -f, deploy/Dockerfile, -t, "${IMAGE}", .]
images: ["${IMAGE}"]
YAML
    gcloud dataflow flex-template build "$TEMPLATE" --project "$PROJECT" \
      --image "$IMAGE" --sdk-language PYTHON --metadata-file "$ROOT/deploy/metadata.json"
    echo "template: $TEMPLATE  image: $IMAGE"
    ;;
  run)
    shift
    gcloud dataflow flex-template run "conflictwire-$(date -u +%Y%m%d-%H%M)" --project "$PROJECT" \
      --region "$REGION" --template-file-gcs-location "$TEMPLATE" "${common_parameters[@]}" \
      --max-workers 4 "$@"
    ;;
  stream)
    shift
    gcloud dataflow flex-template run "conflictwire-stream" --project "$PROJECT" --region "$REGION" \
      --template-file-gcs-location "$TEMPLATE" "${common_parameters[@]}" \
      --parameters streaming=true --parameters poll_interval=15m --enable-streaming-engine \
      --max-workers 2 "$@"
    ;;
  schedule)
    # scheduler.yaml holds the job's body; ${...} are filled in here.
    body="$(PROJECT="$PROJECT" REGION="$REGION" BUCKET="$BUCKET" DATASET="$DATASET" FEEDS="$FEEDS" \
      SERVICE_ACCOUNT="$SERVICE_ACCOUNT" TEMPLATE="$TEMPLATE" \
      python -c 'import json, os, sys, yaml; d = yaml.safe_load(open(sys.argv[1]));
print(os.path.expandvars(json.dumps(d["httpTarget"]["body"])))' "$ROOT/deploy/scheduler.yaml")"
    schedule="$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["schedule"])' \
      "$ROOT/deploy/scheduler.yaml")"
    uri="https://dataflow.googleapis.com/v1b3/projects/${PROJECT}/locations/${REGION}/flexTemplates:launch"
    verb=create
    gcloud scheduler jobs describe conflictwire-batch --location "$REGION" --project "$PROJECT" >/dev/null 2>&1 \
      && verb=update
    gcloud scheduler jobs "$verb" http conflictwire-batch --location "$REGION" --project "$PROJECT" \
      --schedule "$schedule" --time-zone UTC --uri "$uri" --http-method POST \
      --oauth-service-account-email "$SERVICE_ACCOUNT" \
      --headers Content-Type=application/json --message-body "$body"
    ;;
  *)
    sed -n '2,13p' "$0"
    exit 2
    ;;
esac
