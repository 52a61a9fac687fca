#!/bin/sh
# Joins the Symphony cluster (a stand-in for IBM's fresh_install.sh).
echo "joined" > /var/tmp/hf-joined
