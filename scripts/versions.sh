# Pinned versions of what scripts/provision.sh builds, read from package.json so the
# TypeScript code (chalkfs/minio) and this script agree. The Go module proxy serves no
# RELEASE.* tag of MinIO here, so the pin is the pseudo-version of one MinIO commit
# (2026-02-12), which `go install` resolves exactly and reproducibly.
MINIO_VERSION="$(node -p 'require("./package.json").config.minioVersion')"
# csi-sanity (kubernetes-csi/csi-test), the CSI conformance suite test/integration/csi-sanity.test.ts runs.
CSI_SANITY_VERSION="$(node -p 'require("./package.json").config.csiSanityVersion')"
CHALKFS_CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/chalkfs"
export MINIO_VERSION CSI_SANITY_VERSION CHALKFS_CACHE_DIR
