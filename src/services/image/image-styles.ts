/**
 * The style presets of /image/styles (swagger example: "3D Model", "Analog Film", "Anime", "Cinematic",
 * "Comic Book"; docs/guides/media/image-generation.mdx adds "Digital Art"), with the names of Venice's list.
 * Each is a positive template wrapped around the prompt ({prompt}) and a negative prompt, in the manner of
 * the widely used SDXL style list; the wording here is Rialto's own.
 */
export interface ImageStyle {
  name: string;
  prompt: string;
  negative: string;
}

const PHOTO_NEGATIVE = 'drawing, painting, illustration, cartoon, anime, blurry, low quality';
const GAME_NEGATIVE = 'photo, photorealistic, blurry, low quality, watermark';
const PAPER_NEGATIVE = 'photo, photorealistic, 3d render, blurry, low quality';

const STYLES: [string, string, string][] = [
  [
    '3D Model',
    'professional 3d model of {prompt}, octane render, highly detailed, volumetric, dramatic lighting',
    'ugly, deformed, noisy, low poly, blurry, painting',
  ],
  [
    'Analog Film',
    'analog film photo of {prompt}, faded film, desaturated, 35mm photo, grainy, vignette, vintage',
    'painting, drawing, illustration, cartoon, anime, 3d render, glitch',
  ],
  [
    'Anime',
    'anime artwork of {prompt}, anime style, key visual, vibrant, studio anime, highly detailed',
    'photo, photorealistic, deformed, disfigured, low contrast',
  ],
  [
    'Cinematic',
    'cinematic film still of {prompt}, shallow depth of field, vignette, high budget, bokeh, moody, film grain',
    'anime, cartoon, graphic, text, painting, drawing, sketch, deformed',
  ],
  [
    'Comic Book',
    'comic book panel of {prompt}, graphic illustration, comic art, bold ink lines, vibrant colors',
    'photograph, photorealistic, deformed, glitch, noisy',
  ],
  [
    'Craft Clay',
    'play-doh style {prompt}, sculpture, clay art, claymation, centered composition',
    'sloppy, messy, grainy, low resolution, photo',
  ],
  [
    'Digital Art',
    'concept art of {prompt}, digital artwork, illustrative, painterly, matte painting, highly detailed',
    'photo, photorealistic, realism, ugly',
  ],
  [
    'Enhance',
    'breathtaking {prompt}, award-winning, professional, highly detailed',
    'ugly, deformed, noisy, blurry, distorted, grainy',
  ],
  [
    'Fantasy Art',
    'ethereal fantasy concept art of {prompt}, magnificent, celestial, painterly, epic, majestic, magical',
    'photographic, realistic, realism, 35mm film, dslr, ugly',
  ],
  [
    'Isometric Style',
    'isometric style {prompt}, vibrant, beautiful, crisp, detailed, ultra detailed, intricate',
    'deformed, mutated, ugly, disfigured, blur, blurry, noise, realistic, photographic',
  ],
  [
    'Line Art',
    'line art drawing {prompt}, professional, sleek, modern, minimalist, graphic, line art, vector graphics',
    'anime, photorealistic, 35mm film, deformed, glitch, blurry, noisy, 3d, painting, color',
  ],
  [
    'Lowpoly',
    'low-poly style {prompt}, low-poly game art, polygon mesh, jagged, blocky, wireframe edges, centered composition',
    'noisy, sloppy, messy, grainy, photo, smooth',
  ],
  [
    'Neon Punk',
    'neonpunk style {prompt}, cyberpunk, vaporwave, neon, vibes, vibrant, stunningly beautiful, crisp, detailed, sleek',
    'painting, drawing, illustration, glitch, deformed, low contrast, noisy, ugly',
  ],
  [
    'Origami',
    'origami style {prompt}, paper art, pleated paper, folded, origami art, centered composition',
    'noisy, sloppy, messy, grainy, photo',
  ],
  [
    'Photographic',
    'cinematic photo of {prompt}, 35mm photograph, film, bokeh, professional, 4k, highly detailed',
    PHOTO_NEGATIVE,
  ],
  [
    'Pixel Art',
    'pixel-art {prompt}, low-res, blocky, pixel art style, 8-bit graphics',
    'sloppy, messy, blurry, noisy, highly detailed, ultra textured, photo, realistic',
  ],
  [
    'Texture',
    'texture {prompt} top down close-up, seamless, tileable, highly detailed',
    'ugly, deformed, noisy, blurry, perspective',
  ],
  [
    'Advertising',
    'advertising poster style {prompt}, professional, modern, product-focused, commercial, eye-catching, highly detailed',
    'noisy, blurry, amateurish, sloppy, unattractive',
  ],
  [
    'Food Photography',
    'food photography style {prompt}, appetizing, professional, culinary, high-resolution, commercial, highly detailed',
    'unappetizing, sloppy, unprofessional, noisy, blurry',
  ],
  [
    'Real Estate',
    'real estate photography style {prompt}, professional, inviting, well-lit, high-resolution, property-focused, commercial',
    'dark, blurry, unappealing, noisy, unprofessional',
  ],
  [
    'Abstract',
    'abstract style {prompt}, non-representational, colors and shapes, expression of feelings, imaginative, highly detailed',
    'realistic, photographic, figurative, concrete',
  ],
  [
    'Cubist',
    'cubist artwork {prompt}, geometric shapes, abstract, innovative, revolutionary',
    'anime, photorealistic, 35mm film, deformed, glitch, low contrast, noisy',
  ],
  [
    'Graffiti',
    'graffiti style {prompt}, street art, vibrant, urban, detailed, tag, mural',
    'ugly, deformed, noisy, blurry, low contrast, realism, photorealistic',
  ],
  [
    'Hyperrealism',
    'hyperrealistic art {prompt}, extremely high-resolution details, photographic, realism pushed to extreme, fine texture, incredibly lifelike',
    'simplified, abstract, unrealistic, impressionistic, low resolution',
  ],
  [
    'Impressionist',
    'impressionist painting {prompt}, loose brushwork, vibrant color, light and shadow play, captures feeling over form',
    'anime, photorealistic, 35mm film, deformed, glitch, low contrast, noisy',
  ],
  [
    'Pointillism',
    'pointillism style {prompt}, composed entirely of small, distinct dots of color, vibrant, highly detailed',
    'line drawing, smooth shading, large color fields, simplistic',
  ],
  [
    'Pop Art',
    'pop art style {prompt}, bright colors, bold outlines, popular culture themes, ironic or kitsch',
    'ugly, deformed, noisy, blurry, low contrast, realism, photorealistic, minimalist',
  ],
  [
    'Psychedelic',
    'psychedelic style {prompt}, vibrant colors, swirling patterns, abstract forms, surreal, trippy',
    'monochrome, black and white, low contrast, realistic, photorealistic, plain, simple',
  ],
  [
    'Renaissance',
    'renaissance style {prompt}, realistic, perspective, light and shadow, religious or mythological themes, highly detailed',
    'ugly, deformed, noisy, blurry, low contrast, modernist, minimalist, abstract',
  ],
  [
    'Steampunk',
    'steampunk style {prompt}, antique, mechanical, brass and copper tones, gears, intricate, detailed',
    'deformed, glitch, noisy, low contrast, anime, photorealistic',
  ],
  [
    'Surrealist',
    'surrealist art {prompt}, dreamlike, mysterious, provocative, symbolic, intricate, detailed',
    'anime, photorealistic, realistic, deformed, glitch, noisy, low contrast',
  ],
  [
    'Typography',
    'typographic art {prompt}, stylized, intricate, detailed, artistic, text-based',
    'ugly, deformed, noisy, blurry, low contrast, realism, photorealistic',
  ],
  [
    'Watercolor',
    'watercolor painting {prompt}, vibrant, beautiful, painterly, detailed, textural, artistic',
    'anime, photorealistic, 35mm film, deformed, glitch, low contrast, noisy',
  ],
  [
    'Fighting Game',
    'fighting game style {prompt}, dynamic, vibrant, action-packed, detailed character design, reminiscent of fighting video games',
    GAME_NEGATIVE,
  ],
  [
    'GTA',
    'open-world crime video game style {prompt}, satirical, exaggerated, pop art style, vibrant colors, iconic characters, loading screen art',
    'realistic, black and white, low contrast, impressionist, cubist, noisy, blurry, deformed',
  ],
  [
    'Super Mario',
    'Super Mario style {prompt}, vibrant, cute, cartoony, fantasy, playful, reminiscent of Super Mario series',
    GAME_NEGATIVE,
  ],
  [
    'Minecraft',
    'Minecraft style {prompt}, blocky, pixelated, vibrant colors, recognizable characters and objects, game assets',
    'smooth, realistic, detailed, photorealistic, noise, blurry, deformed',
  ],
  [
    'Pokemon',
    'Pokémon style {prompt}, vibrant, cute, anime, fantasy, reminiscent of Pokémon series',
    'realistic, modern, horror, dystopian, violent',
  ],
  [
    'Retro Arcade',
    'retro arcade style {prompt}, 8-bit, pixelated, vibrant, classic video game, old school gaming, reminiscent of 80s and 90s arcade games',
    'modern, ultra-high resolution, photorealistic, 3d',
  ],
  [
    'Retro Game',
    'retro game art {prompt}, 16-bit, vibrant colors, pixelated, nostalgic, charming, fun',
    'realistic, photorealistic, 35mm film, deformed, glitch, low contrast, noisy',
  ],
  [
    'RPG Fantasy Game',
    'role-playing game (RPG) style fantasy {prompt}, detailed, vibrant, immersive, reminiscent of high fantasy RPG games',
    'sci-fi, modern, urban, futuristic, low detailed',
  ],
  [
    'Strategy Game',
    'strategy game style {prompt}, overhead view, detailed map, units, reminiscent of real-time strategy video games',
    'first-person view, modern, photorealistic',
  ],
  [
    'Street Fighter',
    'Street Fighter style {prompt}, vibrant, dynamic, arcade, 2D fighting game, highly detailed, reminiscent of Street Fighter series',
    '3d, realistic, blurry, deformed',
  ],
  [
    'Legend of Zelda',
    'Legend of Zelda style {prompt}, vibrant, fantasy, detailed, epic, heroic, reminiscent of The Legend of Zelda series',
    'sci-fi, modern, realistic, horror',
  ],
  [
    'Architectural',
    'architectural style {prompt}, clean lines, geometric shapes, minimalist, modern, architectural drawing, highly detailed',
    'curved lines, ornate, baroque, abstract, grunge',
  ],
  [
    'Disco',
    'disco-themed {prompt}, vibrant, groovy, retro 70s style, shiny disco balls, neon lights, dance floor, highly detailed',
    'minimalist, rustic, monochrome, contemporary, simplistic',
  ],
  [
    'Dreamscape',
    'dreamscape {prompt}, surreal, ethereal, dreamy, mysterious, fantasy, highly detailed',
    'realistic, concrete, ordinary, mundane',
  ],
  [
    'Dystopian',
    'dystopian style {prompt}, bleak, post-apocalyptic, somber, dramatic, highly detailed',
    'ugly, deformed, noisy, blurry, low contrast, cheerful, optimistic, vibrant, colorful',
  ],
  [
    'Fairy Tale',
    'fairy tale {prompt}, magical, fantastical, enchanting, storybook style, highly detailed',
    'realistic, modern, ordinary, mundane',
  ],
  [
    'Gothic',
    'gothic style {prompt}, dark, mysterious, haunting, dramatic, ornate, detailed',
    'ugly, deformed, noisy, blurry, low contrast, realism, photorealistic, cheerful, optimistic',
  ],
  [
    'Grunge',
    'grunge style {prompt}, textured, distressed, vintage, edgy, punk rock vibe, dirty, noisy',
    'smooth, clean, minimalist, sleek, modern, photorealistic',
  ],
  [
    'Horror',
    'horror-themed {prompt}, eerie, unsettling, dark, spooky, suspenseful, grim, highly detailed',
    'cheerful, bright, vibrant, light-hearted, cute',
  ],
  [
    'Minimalist',
    'minimalist style {prompt}, simple, clean, uncluttered, modern, elegant',
    'ornate, complicated, highly detailed, cluttered, disordered, messy, noisy',
  ],
  [
    'Monochrome',
    'monochrome {prompt}, black and white, contrast, tone, texture, detailed',
    'colorful, vibrant, noisy, blurry, deformed',
  ],
  [
    'Nautical',
    'nautical-themed {prompt}, sea, ocean, ships, maritime, beach, marine life, highly detailed',
    'landlocked, desert, mountains, urban, rustic',
  ],
  [
    'Space',
    'space-themed {prompt}, cosmic, celestial, stars, galaxies, nebulas, planets, science fiction, highly detailed',
    'earthly, mundane, ground-based, realism',
  ],
  [
    'Stained Glass',
    'stained glass style {prompt}, vibrant, beautiful, translucent, intricate, detailed',
    'ugly, deformed, noisy, blurry, low contrast, realism, photorealistic',
  ],
  [
    'Techwear Fashion',
    'techwear fashion {prompt}, futuristic, cyberpunk, urban, tactical, sleek, dark, highly detailed',
    'vintage, rural, colorful, low contrast, realism, sketch, watercolor',
  ],
  [
    'Tribal',
    'tribal style {prompt}, indigenous, ethnic, traditional patterns, bold, natural colors, highly detailed',
    'modern, futuristic, minimalist, pastel',
  ],
  [
    'Zentangle',
    'zentangle {prompt}, intricate, abstract, monochrome, patterns, meditative, highly detailed',
    'colorful, representative, simplistic, large fields of color',
  ],
  [
    'Collage',
    'collage style {prompt}, mixed media, layered, textural, detailed, artistic',
    'ugly, deformed, noisy, blurry, low contrast, realism, photorealistic',
  ],
  [
    'Flat Papercut',
    'flat papercut style {prompt}, silhouette, clean cuts, paper, sharp edges, minimalist, color block',
    '3d, high detail, noise, grainy, blurry, painting, drawing, photo, disfigured',
  ],
  [
    'Kirigami',
    'kirigami representation of {prompt}, 3d, paper folding, paper cutting, Japanese, intricate, symmetrical, precision, clean lines',
    'painting, drawing, 2d, noisy, blurry, deformed',
  ],
  [
    'Paper Mache',
    'paper mache representation of {prompt}, 3d, sculptural, textured, handmade, vibrant, fun',
    '2d, flat, photo, sketch, digital art, deformed, noisy, blurry',
  ],
  [
    'Paper Quilling',
    'paper quilling art of {prompt}, intricate, delicate, curling, rolling, shaping, coiling, loops, 3d, dimensional, ornamental',
    PAPER_NEGATIVE,
  ],
  [
    'Papercut Collage',
    'papercut collage of {prompt}, mixed media, textured paper, overlapping, asymmetrical, abstract, vibrant',
    'photo, 3d, realistic, drawing, painting, high detail, disfigured',
  ],
  [
    'Papercut Shadow Box',
    '3d papercut shadow box of {prompt}, layered, dimensional, depth, silhouette, shadow, papercut, handmade, high contrast',
    'painting, drawing, photo, 2d, flat, high detail, blurry, noisy, disfigured',
  ],
  [
    'Stacked Papercut',
    'stacked papercut art of {prompt}, 3d, layered, dimensional, depth, precision cut, stacked layers, papercut, high contrast',
    '2d, flat, noisy, blurry, painting, drawing, photo, deformed',
  ],
  [
    'Thick Layered Papercut',
    'thick layered papercut art of {prompt}, deep 3d, volumetric, dimensional, depth, thick paper, high stack, heavy texture, tangible, layered',
    '2d, flat, thin paper, low stack, smooth texture, painting, drawing, photo, deformed',
  ],
  [
    'Alien',
    'alien-themed {prompt}, extraterrestrial, cosmic, otherworldly, mysterious, sci-fi, highly detailed',
    'earthly, mundane, common, realistic, simple',
  ],
  [
    'Film Noir',
    'film noir style {prompt}, monochrome, high contrast, dramatic shadows, 1940s style, mysterious, cinematic',
    'ugly, deformed, noisy, blurry, low contrast, realism, photorealistic, vibrant, colorful',
  ],
  [
    'HDR',
    'HDR photo of {prompt}, high dynamic range, vivid, rich details, clear shadows and highlights, realistic, intense, enhanced contrast, highly detailed',
    'flat, low contrast, oversaturated, underexposed, overexposed, blurred, noisy',
  ],
  [
    'Long Exposure',
    'long exposure photo of {prompt}, blurred motion, streaks of light, surreal, dreamy, ghosting effect, highly detailed',
    'static, noisy, deformed, shaky, abrupt, flat, low contrast',
  ],
  [
    'Neon Noir',
    'neon noir {prompt}, cyberpunk, dark, rainy streets, neon signs, high contrast, low light, vibrant, highly detailed',
    'bright, sunny, daytime, low contrast, black and white, sketch, watercolor',
  ],
  [
    'Silhouette',
    'silhouette style {prompt}, high contrast, minimalistic, black and white, stark, dramatic',
    'ugly, deformed, noisy, blurry, low contrast, color, realism, photorealistic',
  ],
  [
    'Tilt-Shift',
    'tilt-shift photo of {prompt}, selective focus, miniature effect, blurred background, highly detailed, vibrant, perspective control',
    'blurry, noisy, deformed, flat, low contrast, unrealistic, oversaturated, underexposed',
  ],
];

export const IMAGE_STYLES: readonly ImageStyle[] = STYLES.map(([name, prompt, negative]) => ({
  name,
  prompt,
  negative,
}));

/** The preset named `name` (case-insensitive), or undefined. */
export function findImageStyle(name: string): ImageStyle | undefined {
  const wanted = name.trim().toLowerCase();
  return IMAGE_STYLES.find((style) => style.name.toLowerCase() === wanted);
}

/** The prompts with a style applied: the template around the prompt, the style's negative before the client's. */
export function applyImageStyle(
  style: ImageStyle | undefined,
  prompt: string,
  negativePrompt: string | undefined,
): { prompt: string; negativePrompt?: string } {
  if (style === undefined)
    return negativePrompt === undefined ? { prompt } : { prompt, negativePrompt };
  const negative = [style.negative, negativePrompt]
    .filter((part) => part !== undefined && part.trim() !== '')
    .join(', ');
  // A function replacement: a prompt's own `$&` or `$1` must stay text.
  return { prompt: style.prompt.replace('{prompt}', () => prompt), negativePrompt: negative };
}
