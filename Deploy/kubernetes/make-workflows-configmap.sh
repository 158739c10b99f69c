#!/usr/bin/env bash
# Writes Deploy/kubernetes/workflows-configmap.yaml from Workflows/*.yaml: one
# key per template file, its text as a literal block. Run after changing a
# template; a test fails while the two differ.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=Deploy/kubernetes/workflows-configmap.yaml
{
    echo "# Generated from Workflows/ by Deploy/kubernetes/make-workflows-configmap.sh;"
    echo "# a test (atmpdTests, DeployFileTests) fails when it no longer matches."
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: atmp-workflows\n  namespace: atmp\ndata:\n'
    for file in Workflows/*.yaml; do
        echo "  $(basename "$file"): |"
        sed -e 's/^\(.\)/    \1/' "$file"
    done
} > "$out"
echo "wrote $out"
