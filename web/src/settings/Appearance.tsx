import type { Theme } from "../storage";
import { useTheme } from "../theme";

const options: { value: Theme; label: string; hint: string }[] = [
  { value: "system", label: "System", hint: "Follow your device" },
  { value: "light", label: "Light", hint: "Always light" },
  { value: "dark", label: "Dark", hint: "Always dark" },
];

export default function Appearance() {
  const [theme, setTheme] = useTheme();
  return (
    <section className="panel">
      <h2>Appearance</h2>
      <fieldset className="choice-group">
        <legend>Theme</legend>
        {options.map((o) => (
          <label key={o.value} className={"choice" + (theme === o.value ? " selected" : "")}>
            <input type="radio" name="theme" value={o.value} checked={theme === o.value} onChange={() => setTheme(o.value)} />
            <span className="choice-label">{o.label}</span>
            <span className="choice-hint">{o.hint}</span>
          </label>
        ))}
      </fieldset>
      <p className="muted small">Your choice is kept in this browser only.</p>
    </section>
  );
}
