// `backstop completion bash|zsh`: shell completion scripts generated from the command tree,
// so a new command or flag completes without anyone editing a script. The scripts walk the
// words typed so far down the tree and offer that node's subcommands and flags.
import type { Command } from 'commander';

/** What completion needs of one command: its words, flags and children. */
export interface CommandNode {
  name: string;
  description: string;
  options: string[];
  children: CommandNode[];
}

export function commandTree(cmd: Command, inherited: string[] = []): CommandNode {
  const own = cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  // Global options (--json, --api-url, …) are accepted after any command, so every node offers them.
  const options = [...new Set([...own, ...inherited, '--help'])];
  return {
    name: cmd.name(),
    description: cmd.description(),
    options,
    children: cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden).map((c) => commandTree(c, cmd.parent === null ? own : inherited)),
  };
}

/** Every node with its path of names below the root (`''`, `'jobs'`, `'jobs run'`, …). */
function walk(node: CommandNode, path: string[] = []): Array<{ path: string; node: CommandNode }> {
  return [{ path: path.join(' '), node }, ...node.children.flatMap((c) => walk(c, [...path, c.name]))];
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function bashCompletion(root: CommandNode, program = root.name): string {
  const fn = `_${program.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const nodes = walk(root);
  const cases = nodes.map(({ path, node }) => `    ${shellQuote(path)}) echo ${shellQuote([...node.children.map((c) => c.name), ...node.options].join(' '))} ;;`);
  return `# bash completion for ${program}; load with: source <(${program} completion bash)
${fn}_words() {
  case "$1" in
${cases.join('\n')}
    *) return 1 ;;
  esac
}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath="" next w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    next="\${cmdpath:+$cmdpath }$w"
    # Only names of commands move down the tree; arguments (ids, names) are skipped.
    if [[ " $(${fn}_words "$cmdpath") " == *" $w "* ]] && ${fn}_words "$next" >/dev/null; then cmdpath="$next"; fi
  done
  COMPREPLY=($(compgen -W "$(${fn}_words "$cmdpath")" -- "$cur"))
}
complete -F ${fn} ${program}
`;
}

export function zshCompletion(root: CommandNode, program = root.name): string {
  const fn = `_${program.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const nodes = walk(root);
  const commands = nodes.map(({ path, node }) => `    ${shellQuote(path)}) reply=(${node.children.map((c) => shellQuote(`${c.name}:${c.description.replace(/:/g, '\\:')}`)).join(' ')}) ;;`);
  const options = nodes.map(({ path, node }) => `    ${shellQuote(path)}) reply=(${node.options.map(shellQuote).join(' ')}) ;;`);
  return `#compdef ${program}
# zsh completion for ${program}; load with: source <(${program} completion zsh)
${fn}_commands() {
  case "$1" in
${commands.join('\n')}
    *) reply=() ;;
  esac
}
${fn}_options() {
  case "$1" in
${options.join('\n')}
    *) reply=() ;;
  esac
}
${fn}() {
  local cmdpath="" next w i
  local -a reply subcommands flags
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    [[ "$w" == -* ]] && continue
    next="\${cmdpath:+$cmdpath }$w"
    ${fn}_commands "$cmdpath"
    if (( \${reply[(I)$w:*]} )); then cmdpath="$next"; fi
  done
  ${fn}_commands "$cmdpath"; subcommands=("\${reply[@]}")
  ${fn}_options "$cmdpath"; flags=("\${reply[@]}")
  if [[ "\${words[CURRENT]}" == -* ]]; then
    compadd -- "\${flags[@]}"
  elif (( \${#subcommands} )); then
    _describe -t commands 'command' subcommands
  else
    _files
  fi
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then ${fn} "$@"; else compdef ${fn} ${program}; fi
`;
}
