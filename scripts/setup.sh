#!/usr/bin/env bash
# Set up a fresh Debian machine for wirenote: Debian packages, then npm ci (which builds lib/).
# Run as root (or with sudo). Safe to run twice.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PKGS=(
  tshark            # the reference decoder the tests compare against
  tcpdump           # packet capture (npm run capture, live-capture tests)
  nftables          # packet-loss tests drop segments with nft
  chromium          # the browser npm run capture drives; PDF export
  fonts-noto-cjk    # Chinese text in charts, HTML and PDF
  fonts-wqy-microhei  # TrueType CJK font for the PDF (Chromium embeds CFF fonts like Noto CJK only as Type 3)
  poppler-utils     # pdftotext, pdffonts, pdftoppm: the PDF layout tests read the printed pages
  jupyter-notebook  # npm run notebook: Jupyter Notebook 6 on the tslab kernel (pip cannot install Jupyter on Debian)
  jupyter-nbconvert python3-nbclient  # tests: the real tslab kernel under nbclient, nbconvert's HTML export
  espeak-ng lame libjpeg-turbo-progs  # regenerate the site's audio and logo
  time              # npm run bench measures peak memory with GNU time
  nginx python3 curl iproute2 ethtool  # the scenario corpus (test/scenarios): servers, clients, namespaces, veth offloads
)
if ! dpkg -s "${PKGS[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${PKGS[@]}" >/dev/null
fi
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
