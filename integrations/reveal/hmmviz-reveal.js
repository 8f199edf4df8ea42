// hmmviz for reveal.js: slide fragments drive an embedded hmmviz through its postMessage protocol (version 1,
// docs/embedding.md). MIT OR Apache-2.0, like hmmviz.
//
// In a slide, an <iframe data-hmmviz src=".../?v=1&pages=…&embed=1"> shows hmmviz; each fragment of that slide
// may say where the picture goes when it is shown:
//   <span class="fragment" data-hmmviz-milestone="collected"></span>   the first time the lane reaches it
//   <span class="fragment" data-hmmviz-seek="120"></span>               a step
//   <span class="fragment" data-hmmviz-set='{"lanes":"A,U"}'></span>    any `set` fields
// Pressing the deck's keys (→, Space, PageDown…) shows fragments as usual, and the frame follows: the last
// shown fragment of the slide with such an attribute decides the picture; with none shown, the frame goes
// back to the step its iframe names (data-hmmviz-start, default 0). Going back hides fragments and the frame
// follows back. A frame that loads later gets the picture when it says `ready`.
//
//   <script src="reveal.js"></script><script src="hmmviz-reveal.js"></script>
//   Reveal.initialize({ plugins: [HmmvizReveal] });
(function (root) {
  const PROTOCOL = 1;
  // Our commands carry ids `hmmviz-reveal-N`: the frame answers reveal.js's own messages to frames (such
  // as "slide:start") with errors too, and those are none of ours.
  let sent = 0;

  function frames(slide) {
    return slide ? [...slide.querySelectorAll('iframe[data-hmmviz]')] : [];
  }

  // The commands that put the frames of `slide` where its fragments say.
  function commands(slide) {
    const shown = [...slide.querySelectorAll('.fragment.visible')].filter(
      (f) => f.dataset.hmmvizMilestone || f.dataset.hmmvizSeek || f.dataset.hmmvizSet,
    );
    const last = shown.at(-1);
    const out = [];
    // Settings accumulate over the shown fragments; the position is the last one's.
    for (const f of shown) {
      if (f.dataset.hmmvizSet) out.push({ type: 'set', ...JSON.parse(f.dataset.hmmvizSet) });
    }
    if (last && last.dataset.hmmvizMilestone) {
      out.push({ type: 'goto', milestone: last.dataset.hmmvizMilestone });
    } else if (last && last.dataset.hmmvizSeek) {
      out.push({ type: 'seek', step: Number(last.dataset.hmmvizSeek) });
    } else {
      for (const frame of frames(slide)) {
        out.push({ type: 'seek', step: Number(frame.dataset.hmmvizStart || 0), only: frame });
      }
    }
    return out;
  }

  function apply(slide) {
    for (const { only, ...command } of commands(slide)) {
      for (const frame of frames(slide)) {
        if (only && only !== frame) continue;
        frame.contentWindow?.postMessage({ hmmviz: PROTOCOL, id: `hmmviz-reveal-${++sent}`, ...command }, '*');
      }
    }
  }

  const HmmvizReveal = {
    id: 'hmmviz',
    init(deck) {
      const follow = () => apply(deck.getCurrentSlide());
      for (const event of ['ready', 'slidechanged', 'fragmentshown', 'fragmenthidden']) {
        deck.on(event, follow);
      }
      addEventListener('message', (e) => {
        if (e.data?.hmmviz !== PROTOCOL) return;
        const slide = deck.getCurrentSlide();
        const frame = frames(slide).find((f) => f.contentWindow === e.source);
        if (!frame) return;
        if (e.data.type === 'ready') apply(slide);
        if (e.data.type === 'error' && String(e.data.id).startsWith('hmmviz-reveal-')) {
          console.warn(`hmmviz: ${e.data.code}: ${e.data.message}`);
        }
      });
    },
  };

  root.HmmvizReveal = HmmvizReveal;
})(typeof window !== 'undefined' ? window : globalThis);
