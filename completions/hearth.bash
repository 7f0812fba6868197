# bash completion for hearth, printed by `hearth completion bash`.
# Candidates come from `hearth complete`, which walks hearth's own
# command table (and its store for names), so this file never needs to
# change when commands do.
_hearth()
{
	# bash splits words at COMP_WORDBREAKS too, so --driver=q arrives as
	# --driver, =, q: glue back the pieces no blank separates in the line,
	# as bash-completion's _get_comp_words_by_ref does (words as they
	# are without a COMP_LINE, as when a test calls this).
	local line=${COMP_LINE:0:COMP_POINT} w pre i
	local -a words=()
	for ((i = 0; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((i == 0)) || [[ -z ${COMP_LINE+set} || $line == [[:blank:]]* ]]; then
			words+=("$w")
		else
			words[${#words[@]}-1]+=$w
		fi
		line=${line#"${line%%[![:blank:]]*}"}
		line=${line#"$w"}
	done
	local cur=${words[${#words[@]}-1]}
	# Readline replaces only what follows the last break character.
	pre=
	for ((i = ${#cur}; i > 0; i--)); do
		if [[ $COMP_WORDBREAKS == *"${cur:i-1:1}"* ]]; then
			pre=${cur:0:i}
			break
		fi
	done
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$("${words[0]}" complete -- "${words[@]:1:${#words[@]}-2}" "$cur" 2>/dev/null)" -- "$cur"))
	COMPREPLY=("${COMPREPLY[@]#"$pre"}")
}
complete -F _hearth hearth
