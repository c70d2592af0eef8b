import type { HealthName } from '../src/shared/protocol';

/**
 * Colours from the VS Code theme. VS Code sets `--vscode-*` variables on the page and
 * changes them (and the body class) when the theme changes; canvas charts cannot use
 * CSS variables directly, so we read them here and re-read on every theme change.
 */
export interface Theme {
  foreground: string;
  muted: string;
  grid: string;
  font: string;
  highContrast: boolean;
  blue: string;
  red: string;
  yellow: string;
  orange: string;
  green: string;
  purple: string;
  /** Distinct line colours for per-worker series. */
  palette: string[];
  health: Record<HealthName, string>;
}

function cssVar(name: string, fallback: string): string {
  const v =
    getComputedStyle(document.documentElement).getPropertyValue(name).trim() ||
    getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export function readTheme(): Theme {
  const light =
    document.body.classList.contains('vscode-light') || document.body.classList.contains('vscode-high-contrast-light');
  const foreground = cssVar('--vscode-editor-foreground', cssVar('--vscode-foreground', light ? '#333333' : '#cccccc'));
  const t = {
    foreground,
    muted: cssVar('--vscode-charts-foreground', cssVar('--vscode-descriptionForeground', foreground)),
    grid: cssVar('--vscode-charts-lines', light ? 'rgba(0,0,0,0.12)' : 'rgba(255,255,255,0.12)'),
    font: cssVar('--vscode-font-family', 'system-ui, sans-serif'),
    highContrast:
      document.body.classList.contains('vscode-high-contrast') ||
      document.body.classList.contains('vscode-high-contrast-light'),
    blue: cssVar('--vscode-charts-blue', '#3794ff'),
    red: cssVar('--vscode-charts-red', '#f14c4c'),
    yellow: cssVar('--vscode-charts-yellow', '#cca700'),
    orange: cssVar('--vscode-charts-orange', '#d18616'),
    green: cssVar('--vscode-charts-green', '#89d185'),
    purple: cssVar('--vscode-charts-purple', '#b180d7'),
  };
  const disabled = cssVar('--vscode-disabledForeground', t.muted);
  return {
    ...t,
    palette: [t.purple, t.green, t.orange, t.yellow, t.red, t.foreground],
    health: {
      working: t.blue,
      healthy: t.green,
      slow: t.yellow,
      unresponsive: t.orange,
      dead: t.red,
      crashed: t.purple,
      missing: t.red,
      recovering: cssVar('--vscode-charts-foreground', t.muted),
      stopping: t.yellow,
      stopped: disabled,
      unknown: t.grid,
    },
  };
}

/** `rgba()` of a theme colour at `alpha` (hex or rgb input; anything else is returned as is). */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3,8})$/i.exec(color.trim());
  if (hex) {
    let h = hex[1]!;
    if (h.length <= 4) h = [...h].map((c) => c + c).join('');
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^,]+),([^,]+),([^,)]+)/i.exec(color.trim());
  return rgb ? `rgba(${rgb[1]},${rgb[2]},${rgb[3]}, ${alpha})` : color;
}

/** Calls `fn` whenever VS Code switches theme (body class or root variables change). */
export function onThemeChange(fn: () => void): void {
  const obs = new MutationObserver(() => fn());
  obs.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  obs.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}
