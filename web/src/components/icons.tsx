// Small inline icons (no icon font: nothing is fetched from third parties).
type P = { size?: number };
const s = (size = 18) => ({ width: size, height: size, viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", strokeWidth: 1.8, strokeLinecap: "round" as const, strokeLinejoin: "round" as const, "aria-hidden": true });

export const IconPlus = ({ size }: P) => (<svg {...s(size)}><path d="M12 5v14M5 12h14" /></svg>);
export const IconMenu = ({ size }: P) => (<svg {...s(size)}><path d="M4 6h16M4 12h16M4 18h16" /></svg>);
export const IconSearch = ({ size }: P) => (<svg {...s(size)}><circle cx="11" cy="11" r="7" /><path d="m20 20-3.5-3.5" /></svg>);
export const IconPencil = ({ size }: P) => (<svg {...s(size)}><path d="M4 20h4L19 9l-4-4L4 16v4z" /><path d="m13.5 6.5 4 4" /></svg>);
export const IconTrash = ({ size }: P) => (<svg {...s(size)}><path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3" /></svg>);
export const IconSend = ({ size }: P) => (<svg {...s(size)}><path d="M12 19V5M5 12l7-7 7 7" /></svg>);
export const IconStop = ({ size }: P) => (<svg {...s(size)}><rect x="7" y="7" width="10" height="10" rx="1.5" fill="currentColor" /></svg>);
export const IconCopy = ({ size }: P) => (<svg {...s(size)}><rect x="9" y="9" width="11" height="11" rx="2" /><path d="M5 15V5a1 1 0 0 1 1-1h10" /></svg>);
export const IconRefresh = ({ size }: P) => (<svg {...s(size)}><path d="M20 12a8 8 0 1 1-2.3-5.7M20 4v5h-5" /></svg>);
export const IconThumbUp = ({ size }: P) => (<svg {...s(size)}><path d="M7 10v10H4V10h3zm0 0 4-7a2 2 0 0 1 3 2l-1 5h6a2 2 0 0 1 2 2.3l-1.4 6A2 2 0 0 1 17.6 20H7" /></svg>);
export const IconThumbDown = ({ size }: P) => (<svg {...s(size)}><path d="M17 14V4h3v10h-3zm0 0-4 7a2 2 0 0 1-3-2l1-5H5a2 2 0 0 1-2-2.3l1.4-6A2 2 0 0 1 6.4 4H17" /></svg>);
export const IconSettings = ({ size }: P) => (<svg {...s(size)}><circle cx="12" cy="12" r="3" /><path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" /></svg>);
export const IconTool = ({ size }: P) => (<svg {...s(size)}><path d="M14.7 6.3a4 4 0 0 0-5.4 5.4L3 18l3 3 6.3-6.3a4 4 0 0 0 5.4-5.4l-2.5 2.5-2.4-.6-.6-2.4 2.5-2.5z" /></svg>);
export const IconX = ({ size }: P) => (<svg {...s(size)}><path d="M6 6l12 12M18 6 6 18" /></svg>);
export const IconSun = ({ size }: P) => (<svg {...s(size)}><circle cx="12" cy="12" r="4" /><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" /></svg>);
export const IconMoon = ({ size }: P) => (<svg {...s(size)}><path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" /></svg>);
export const IconMonitor = ({ size }: P) => (<svg {...s(size)}><rect x="3" y="4" width="18" height="12" rx="2" /><path d="M8 20h8M12 16v4" /></svg>);
export const IconLogout = ({ size }: P) => (<svg {...s(size)}><path d="M15 4h4a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1h-4M10 17l5-5-5-5M15 12H3" /></svg>);
export const IconChevronLeft = ({ size }: P) => (<svg {...s(size)}><path d="m15 6-6 6 6 6" /></svg>);
export const IconChevronRight = ({ size }: P) => (<svg {...s(size)}><path d="m9 6 6 6-6 6" /></svg>);
