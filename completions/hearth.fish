# fish completion for hearth, printed by `hearth completion fish`.
# Candidates and their descriptions come from `hearth complete
# --describe`, which walks hearth's own command table (and its store
# for names), so this file never needs to change when commands do.
function __hearth_complete
	set -l words (commandline -opc)
	$words[1] complete --describe -- $words[2..-1] (commandline -ct) 2>/dev/null
end
complete -c hearth -f -a '(__hearth_complete)'
