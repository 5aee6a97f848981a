# bash completion for faas-lambda
_faas_lambda() {
  local cur prev cmd
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  cmd=${COMP_WORDS[1]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "pack inspect emulate serve layer version --help" -- "$cur"))
    return
  fi
  case $prev in
    -o|--output|--bootstrap|--docker-config|--task-root|--opt-dir|--state-dir|--cache-dir|--work-dir|--secret-mount-path)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "zip layer image" -- "$cur")); return ;;
    --arch|-a) COMPREPLY=($(compgen -W "x86_64 arm64" -- "$cur")); return ;;
    --platform) COMPREPLY=($(compgen -W "linux/amd64 linux/arm64" -- "$cur")); return ;;
    --auth|--emulator-auth) COMPREPLY=($(compgen -W "none strict" -- "$cur")); return ;;
  esac
  # every option a command has, from its own --help
  local opts
  opts=$(faas-lambda "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
  case $cmd in
    layer) [ "$COMP_CWORD" -eq 2 ] && opts="build publish" ;;
    pack|inspect)
      if [[ $cur != -* ]]; then
        COMPREPLY=($(compgen -W "docker:// oci: docker-archive:" -- "$cur") $(compgen -f -- "$cur"))
        compopt -o nospace 2>/dev/null
        return
      fi ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _faas_lambda faas-lambda
