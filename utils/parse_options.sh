# shellcheck shell=bash
# utils/parse_options.sh: Kaldi-style option parsing for recipe and step shell scripts.
#
# Source it (never execute it) after declaring the script's options as shell variables:
#
#   stage=0
#   stop_stage=100
#   use_gpu=false
#   help_message="Usage: $0 [options] <data-dir>"
#   . utils/parse_options.sh
#   # "$@" now holds only the positional arguments
#
# Rules (Kaldi's): every `--config FILE` is sourced first, so command-line options win
# whatever their order (a missing file is an error); parsing stops at the first argument
# not starting with `--` (a lone `--` ends the options and is dropped); `--foo-bar v` sets
# the existing variable foo_bar, an undefined one is "invalid option --foo-bar" (exit 1);
# `--name=value` is rejected; a variable holding true/false only takes true or false;
# `--help`/`-h` prints $help_message on stdout and exits 0. Values are assigned verbatim
# (no eval), so spaces and shell characters survive: --cmd "utils/run.py --mem 4G".

# Pass 1: source the config files named among the options.
_po_i=1
while [ "$_po_i" -le "$#" ]; do
  _po_arg="${!_po_i}"
  case "$_po_arg" in
    --config)
      _po_next=$((_po_i + 1))
      if [ "$_po_next" -gt "$#" ]; then
        echo "$0: option --config needs a file name" 1>&2
        exit 1
      fi
      _po_file="${!_po_next}"
      if [ ! -r "$_po_file" ]; then
        echo "$0: config file '$_po_file' does not exist or is not readable (given by --config)" 1>&2
        exit 1
      fi
      # shellcheck disable=SC1090
      . "$_po_file"
      _po_i=$((_po_i + 2))
      ;;
    --help | -h | --) break ;;
    --*) _po_i=$((_po_i + 2)) ;;
    *) break ;;
  esac
done

# Pass 2: assign the options; configs were already applied, so these override them.
while [ "$#" -gt 0 ]; do
  case "$1" in
    --help | -h)
      printf '%s\n' "${help_message:-No help found for $0.}"
      exit 0
      ;;
    --)
      shift
      break
      ;;
    --*=*)
      echo "$0: options to scripts must be of the form --name value, got '$1'" 1>&2
      exit 1
      ;;
    --config)
      shift 2
      ;;
    --*)
      _po_name="${1#--}"
      _po_name="${_po_name//-/_}"
      if ! [[ "$_po_name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || [ -z "${!_po_name+set}" ]; then
        echo "$0: invalid option $1" 1>&2
        exit 1
      fi
      if [ "$#" -lt 2 ]; then
        echo "$0: option $1 needs a value" 1>&2
        exit 1
      fi
      _po_old="${!_po_name}"
      if { [ "$_po_old" = true ] || [ "$_po_old" = false ]; } && [ "$2" != true ] && [ "$2" != false ]; then
        echo "$0: option $1 takes true or false, got '$2'" 1>&2
        exit 1
      fi
      printf -v "$_po_name" '%s' "$2"
      shift 2
      ;;
    *) break ;;
  esac
done

unset _po_i _po_arg _po_next _po_file _po_name _po_old
true
