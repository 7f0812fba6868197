# bash completion for hearth, printed by `hearth completion bash`.
# Candidates come from `hearth complete`, which walks hearth's own
# command table (and its store for names), so this file never needs to
# change when commands do.
_hearth()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" complete -- "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null)" -- "$cur"))
}
complete -F _hearth hearth
