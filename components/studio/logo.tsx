/** The studio's mark: a banana, drawn so it needs no emoji font. */
export function Logo({ className = "size-7" }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden focusable="false">
      <path
        d="M6 21c6 4 15 3 20-5 1.6-2.6 2-5.3 1.6-7.6-.2-1-1.6-1.1-2-.2C22.8 13.7 16.4 17.3 8.6 17.6 6.6 17.7 4.8 19.8 6 21z"
        fill="#facc15"
        stroke="#a16207"
        strokeWidth="1.3"
        strokeLinejoin="round"
      />
      <path d="M26.2 7.3 27.7 4.9" stroke="#713f12" strokeWidth="1.8" strokeLinecap="round" />
    </svg>
  );
}
