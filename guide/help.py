"""Contextual help of every screen, in French, keyed by the URL name of the screen.

The help is French content (issue 10), written here rather than translated: each screen says what
it is for, what happens next, and — where the screen can refuse something — the legal rule
behind the refusal. ``templates/includes/help.html`` shows it in the page header of every page
(``guide.templatetags.guide``), so page templates need no change.

Every named URL of the site (except those under api/ and admin/) is either a screen here or
listed in ``NOT_SCREENS`` with the reason it has no page of its own: tests/guide/test_help.py
fails on a new URL until it is classified, and crawls the demo commune to check that every page
a logged-in user can open shows its help.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """A legal rule a screen enforces, with its reference."""

    title: str
    text: str
    reference: str


@dataclass(frozen=True)
class ScreenHelp:
    title: str
    purpose: str
    next: str
    rules: tuple[str, ...] = ()
    #: Role guides (docs/guide/<role>.md) that explain this screen at length.
    guides: tuple[str, ...] = ()


RULES: dict[str, Rule] = {
    "quorum": Rule(
        "Quorum",
        "Le conseil ne délibère valablement que si la majorité de ses membres en exercice est "
        "présente (plus de la moitié). Les pouvoirs ne comptent pas pour le quorum ; un membre "
        "ne peut détenir qu'un seul pouvoir, donné par écrit. Sans quorum, le conseil est "
        "convoqué à nouveau à trois jours au moins d'intervalle et délibère alors valablement "
        "sans condition de quorum : enregistrez la nouvelle convocation.",
        "CGCT, art. L2121-17 et L2121-20",
    ),
    "convocation": Rule(
        "Délai de convocation",
        "La convocation est adressée aux conseillers cinq jours francs au moins avant la séance "
        "dans les communes de 3 500 habitants et plus, trois jours francs dans les communes de "
        "moins de 3 500 habitants. Ni le jour de l'envoi ni celui de la séance ne comptent. En "
        "cas d'urgence, le délai peut être abrégé par le maire sans être inférieur à un jour "
        "franc ; le conseil se prononce sur l'urgence en début de séance. Si le délai n'est pas "
        "tenu, reportez la séance ou cochez « Urgence » en le justifiant.",
        "CGCT, art. L2121-11 et L2121-12",
    ),
    "majority": Rule(
        "Majorité",
        "Les délibérations sont prises à la majorité absolue des suffrages exprimés : les "
        "abstentions et les bulletins blancs ou nuls ne sont pas des suffrages exprimés. En cas "
        "de partage égal des voix, sauf scrutin secret, la voix du président est prépondérante.",
        "CGCT, art. L2121-20 et L2121-21",
    ),
    "interest": Rule(
        "Conseiller intéressé",
        "Une délibération à laquelle a pris part un conseiller intéressé à l'affaire, "
        "personnellement ou comme mandataire, peut être annulée. Déclarez son intérêt sur le "
        "point : il ne prend part ni au débat ni au vote et n'est pas compté parmi les votants.",
        "CGCT, art. L2131-11",
    ),
    "secretary": Rule(
        "Secrétaire de séance et procès-verbal",
        "Au début de chaque séance, le conseil nomme un ou plusieurs de ses membres pour remplir "
        "les fonctions de secrétaire. Le procès-verbal est arrêté au commencement de la séance "
        "suivante et signé par le président et le ou les secrétaires ; il est publié sous forme "
        "électronique dans la semaine qui suit la séance où il a été arrêté.",
        "CGCT, art. L2121-15",
    ),
    "delegation": Rule(
        "Délégation de signature",
        "Le maire peut, par arrêté, déléguer sa signature à un adjoint ou à un conseiller, pour "
        "des matières et une durée déterminées. Délibre refuse une signature « par délégation » "
        "hors des dates de la délégation, ou sur un type d'acte ou une matière qu'elle ne couvre "
        "pas : demandez la signature au titulaire ou faites étendre la délégation (menu Mes "
        "délégations). L'acte signé porte « Pour le Maire et par délégation », le nom et la "
        "qualité du délégataire.",
        "CGCT, art. L2122-18 et L2122-19",
    ),
    "circuit": Rule(
        "Circuit de validation",
        "Un projet passe par les étapes de son circuit dans l'ordre : visa (approbation sans "
        "signature), puis signature. Une étape « un parmi » est décidée par l'un des "
        "destinataires, une étape « tous » attend chacun d'eux. Un refus renvoie le projet au "
        "rédacteur avec son motif ; le rédacteur le corrige et relance le circuit.",
        "organisation interne de la collectivité",
    ),
    "electronic_signature": Rule(
        "Signature électronique",
        "Un acte signé électroniquement a la même valeur qu'un acte signé à la main si la "
        "signature est au moins avancée et repose sur un certificat qualifié (eIDAS, RGS). "
        "Délibre vérifie chaque signature juste après l'avoir posée et conserve le rapport de "
        "validation. Un certificat expiré ou révoqué est refusé : importez votre nouveau "
        "certificat (menu Signatures > Mes certificats).",
        "CGCT, art. L2131-1 ; CRPA, art. L212-3 ; règlement eIDAS",
    ),
    "legality": Rule(
        "Contrôle de légalité",
        "Les actes soumis au contrôle (délibérations, arrêtés réglementaires, certains actes "
        "individuels, contrats…) sont transmis au préfet, ici par @ctes. L'accusé de réception "
        "fixe la date de transmission. Le préfet peut demander des pièces complémentaires ou "
        "déférer l'acte au tribunal administratif dans les deux mois.",
        "CGCT, art. L2131-2 et L2131-6",
    ),
    "classification": Rule(
        "Classification des actes",
        "Chaque acte transmis porte une matière de la nomenclature de la préfecture, dans sa "
        "version en vigueur. @ctes refuse une classification périmée : téléchargez la nouvelle "
        "(Préfecture > Paramètres > Classification) puis reprenez la matière de l'acte.",
        "arrêté du 26 octobre 2005 (@ctes), cahier des charges de la télétransmission",
    ),
    "actes_format": Rule(
        "Format @ctes",
        "Le numéro interne de l'acte ne comporte que des majuscules, des chiffres et « _ » "
        "(15 caractères au plus) ; l'objet tient sur une ligne de 499 caractères au plus ; les "
        "pièces sont en PDF et une transmission pèse 150 Mo au plus.",
        "cahier des charges @ctes",
    ),
    "publication": Rule(
        "Publicité et caractère exécutoire",
        "Depuis le 1er juillet 2022, les actes sont publiés sous forme électronique, en "
        "intégralité, dans un format non modifiable, avec le nom et la qualité de leur auteur et "
        "la date de mise en ligne. La liste des délibérations est publiée dans la semaine. Un "
        "acte soumis au contrôle de légalité est exécutoire dès qu'il a été publié et transmis "
        "au préfet ; les autres dès leur publication.",
        "CGCT, art. L2131-1, L2121-25 et R2131-1",
    ),
    "pes_signature": Rule(
        "Signature des bordereaux PES",
        "Un flux PES V2 dématérialisé (InfoDematerialisee = 1) doit porter la signature "
        "électronique de l'ordonnateur ou de son délégué sur chaque bordereau, avec un "
        "certificat qualifié. Le comptable public rejette un bordereau non signé, signé par une "
        "personne non habilitée ou par un certificat expiré. Un identifiant IdUnique ne sert "
        "qu'une fois.",
        "CGCT, art. D1617-23 ; cahier des charges PES V2 (DGFiP)",
    ),
    "open_data": Rule(
        "Données ouvertes",
        "Les collectivités de plus de 3 500 habitants et de 50 agents publient leurs "
        "délibérations en open data ; Délibre les expose au format du schéma SCDL "
        "« Délibérations ».",
        "CRPA, art. L312-1-1",
    ),
}


SCREENS: dict[str, ScreenHelp] = {
    # --- Home, lists, projects -------------------------------------------------------------
    "home": ScreenHelp(
        "Tableau de bord",
        "Votre point de départ : ce qui vous attend aujourd'hui (dossiers à viser ou à signer, "
        "séances à préparer, actes à transmettre ou à publier) selon vos rôles dans la "
        "collectivité courante.",
        "Cliquez sur un dossier pour le traiter. Le menu « À traiter » liste tout ce qui "
        "attend votre décision ; la Visite guidée (dans ce menu Aide) montre votre travail "
        "quotidien pas à pas.",
        guides=("clerk", "validator", "signer", "secretary", "ordonnateur", "treasury", "admin"),
    ),
    "act-list": ScreenHelp(
        "Projets et actes",
        "Tous les projets de délibération et d'arrêté de la collectivité, du brouillon à la "
        "publication. Les filtres retrouvent un acte par statut, type, assemblée ou texte.",
        "Ouvrez un projet pour le compléter, l'envoyer dans son circuit ou suivre sa "
        "transmission. « Nouveau projet » crée un brouillon (rôle rédacteur).",
        guides=("clerk",),
    ),
    "act-create": ScreenHelp(
        "Nouveau projet",
        "Rédiger un projet de délibération ou d'arrêté : objet, nature @ctes, matière de la "
        "classification, rapporteur, visas, considérants et articles.",
        "Le projet est enregistré en brouillon. Joignez ensuite ses annexes puis envoyez-le dans "
        "son circuit de validation depuis sa fiche.",
        rules=("actes_format", "classification"),
        guides=("clerk",),
    ),
    "act-detail": ScreenHelp(
        "Fiche du projet ou de l'acte",
        "Tout sur un acte : son texte, ses annexes, son circuit (qui a visé, qui doit décider), "
        "ses documents PDF, ses signatures, sa transmission à la préfecture et sa publication. "
        "Les boutons affichés sont ceux que vos rôles permettent à cette étape.",
        "Brouillon : complétez-le puis « Envoyer dans le circuit ». En circuit : le valideur ou "
        "le signataire décide. Validé : il peut être inscrit à l'ordre du jour d'une séance. "
        "Adopté et signé : préparez la transmission puis publiez-le.",
        rules=("circuit", "delegation", "legality", "publication"),
        guides=("clerk", "validator", "signer"),
    ),
    "act-edit": ScreenHelp(
        "Modifier le projet",
        "Corriger le texte ou les métadonnées d'un projet tant qu'il est en brouillon ou renvoyé "
        "par le circuit.",
        "Enregistrez : si quelqu'un d'autre a modifié le projet entre-temps, Délibre refuse "
        "l'enregistrement pour ne pas écraser son travail — rechargez la page et refaites votre "
        "modification.",
        rules=("actes_format", "classification"),
        guides=("clerk",),
    ),
    # --- Séances ---------------------------------------------------------------------------
    "seance-list": ScreenHelp(
        "Séances",
        "Les séances des assemblées (conseil, bureau, commissions), passées et à venir.",
        "Ouvrez une séance pour bâtir son ordre du jour, enregistrer la convocation, faire "
        "l'appel et saisir les votes. « Nouvelle séance » en planifie une.",
        rules=("convocation",),
        guides=("clerk",),
    ),
    "seance-create": ScreenHelp(
        "Nouvelle séance",
        "Planifier une séance : assemblée, date et heure, lieu, président et secrétaire de séance.",
        "Ajoutez ensuite les projets validés à l'ordre du jour, puis enregistrez l'envoi des "
        "convocations en respectant le délai légal.",
        rules=("convocation", "secretary"),
        guides=("clerk",),
    ),
    "seance-detail": ScreenHelp(
        "Fiche de la séance",
        "Le déroulé d'une séance : ordre du jour, convocation, présences et quorum, votes, "
        "clôture, puis procès-verbal et documents.",
        "Prévue → enregistrez la convocation ; convoquée → faites l'appel et ouvrez la séance "
        "si le quorum est atteint ; ouverte → votez chaque point ; close → faites signer les "
        "délibérations et le procès-verbal, puis transmettez et publiez.",
        rules=("convocation", "quorum", "majority", "secretary"),
        guides=("clerk", "secretary"),
    ),
    "seance-edit": ScreenHelp(
        "Modifier la séance",
        "Changer la date, le lieu, le président ou le secrétaire d'une séance.",
        "Si la séance était déjà convoquée, un changement de date impose de convoquer à "
        "nouveau dans le délai légal.",
        rules=("convocation",),
        guides=("clerk",),
    ),
    "seance-roll-call": ScreenHelp(
        "Appel et présences",
        "Noter pour chaque membre en exercice : présent, à distance, excusé, absent ou ayant "
        "donné pouvoir (à qui). Le quorum est recalculé à chaque changement.",
        "Enregistrez l'appel, puis ouvrez la séance depuis sa fiche. Sans quorum, la séance ne "
        "peut pas être ouverte : convoquez-la à nouveau.",
        rules=("quorum",),
        guides=("clerk",),
    ),
    "item-detail": ScreenHelp(
        "Point de l'ordre du jour",
        "Le vote d'un point : détail nominatif, totaux ou résultat seul, conseillers intéressés "
        "qui ne votent pas, report à une autre séance ou retrait.",
        "Le résultat est calculé sur les suffrages exprimés ; une fois voté, la délibération "
        "adoptée part dans le circuit de signature.",
        rules=("majority", "interest", "quorum"),
        guides=("clerk",),
    ),
    # --- Settings of the collectivité ---------------------------------------------------------
    "settings": ScreenHelp(
        "Paramètres de la collectivité",
        "Réservé à l'administrateur : identité de la collectivité (SIREN, population, qui fixe "
        "le délai de convocation), assemblées, élus et mandats, services, numérotation, "
        "classification, utilisateurs et rôles.",
        "Chaque onglet s'enregistre séparément. Les changements sont tracés dans le journal.",
        rules=("convocation", "classification"),
        guides=("admin",),
    ),
    "settings-tab": ScreenHelp(
        "Paramètres de la collectivité",
        "Un onglet des paramètres : identité, assemblées, élus et mandats, services, "
        "numérotation, classification ou utilisateurs et rôles.",
        "Enregistrez l'onglet ; un utilisateur reçoit un rôle par collectivité (rédacteur, "
        "valideur, signataire, secrétaire, ordonnateur, trésorerie, administrateur).",
        rules=("classification",),
        guides=("admin",),
    ),
    # --- Parapheur ------------------------------------------------------------------------------
    "inbox": ScreenHelp(
        "À traiter",
        "Les dossiers qui attendent votre visa ou votre signature — nommément, par votre "
        "bureau, ou par délégation — et les avis qu'on vous demande. Les dossiers en retard "
        "viennent d'abord.",
        "Ouvrez un dossier, lisez-le, puis visez, signez ou refusez avec un motif. Un refus "
        "renvoie le dossier au rédacteur.",
        rules=("circuit", "delegation"),
        guides=("validator", "signer", "secretary"),
    ),
    "delegations": ScreenHelp(
        "Mes délégations",
        "Les délégations de signature que vous avez données ou reçues : délégataire, dates, "
        "types d'actes et matières couverts, référence de l'arrêté de délégation.",
        "Une délégation active fait apparaître les dossiers du délégant dans la boîte du "
        "délégataire. Révoquez-la dès qu'elle n'a plus lieu d'être.",
        rules=("delegation",),
        guides=("signer",),
    ),
    "notifications": ScreenHelp(
        "Notifications",
        "Ce qui s'est passé sur vos dossiers : nouveaux dossiers à traiter, refus, relances, "
        "accusés de réception de la préfecture et de la trésorerie.",
        "Marquez-les comme lues ; les courriels de rappel et le résumé quotidien reprennent les "
        "mêmes informations.",
        guides=("clerk", "validator", "signer"),
    ),
    "circuit-settings": ScreenHelp(
        "Circuits de validation",
        "Réservé à l'administrateur : les circuits (étapes de visa et de signature, "
        "destinataires, délais) et les bureaux (groupes de valideurs).",
        "Un circuit modifié ne change pas les dossiers déjà en cours : ils gardent les étapes "
        "copiées à leur départ.",
        rules=("circuit",),
        guides=("admin",),
    ),
    "circuit-edit": ScreenHelp(
        "Modifier un circuit",
        "Les étapes d'un circuit dans l'ordre : nature (visa, signature, cachet), destinataires "
        "(personnes ou bureaux), mode « un parmi » ou « tous », délai en jours, qualité du "
        "signataire.",
        "Enregistrez ; les nouveaux dossiers suivront ces étapes.",
        rules=("circuit", "delegation"),
        guides=("admin",),
    ),
    # --- Documents ------------------------------------------------------------------------------
    "exports:settings": ScreenHelp(
        "Modèles de documents",
        "Réservé à l'administrateur : en-tête, logo, mentions et mise en page des actes, "
        "convocations, procès-verbaux et recueils produits en PDF/A.",
        "Les documents déjà produits ne changent pas ; les suivants utilisent ces réglages.",
        guides=("admin",),
    ),
    "exports:act-documents": ScreenHelp(
        "Documents de l'acte",
        "Les PDF de l'acte (projet, acte à signer, acte signé) et leurs versions, chacune avec "
        "l'empreinte de son modèle et des données dont elle est issue.",
        "Produisez le PDF avant la signature : les champs de signature y sont créés, rien n'est "
        "ajouté sur la page après la première signature.",
        rules=("electronic_signature",),
        guides=("clerk",),
    ),
    "exports:seance-documents": ScreenHelp(
        "Documents de la séance",
        "Convocations, note de synthèse, liste des délibérations, procès-verbal et recueil de "
        "la séance.",
        "Produisez les convocations avant de les envoyer ; après la séance, le procès-verbal est "
        "signé par le président et le secrétaire puis publié.",
        rules=("convocation", "secretary", "publication"),
        guides=("clerk", "secretary"),
    ),
    # --- Signatures -----------------------------------------------------------------------------
    "signing:verify": ScreenHelp(
        "Vérifier un document signé",
        "Ouvert à tous : déposez un PDF signé pour vérifier ses signatures (intégrité, "
        "certificat, date) sans rien conserver du fichier.",
        "Le rapport dit si chaque signature est valide, et sinon pourquoi. Un document modifié "
        "après signature est signalé.",
        rules=("electronic_signature",),
    ),
    "signing:verify-act": ScreenHelp(
        "Vérifier un acte publié",
        "La page vers laquelle pointe le code QR imprimé sur un acte : elle montre l'acte "
        "original et permet de comparer un exemplaire à celui-ci.",
        "Déposez votre exemplaire : Délibre dit s'il est identique à l'acte signé.",
        rules=("electronic_signature",),
    ),
    "signing:seance": ScreenHelp(
        "Signatures de la séance",
        "Les documents de la séance à signer par le président et le secrétaire de séance : "
        "procès-verbal, liste des délibérations.",
        "Signez avec votre certificat ; une fois toutes les signatures posées, le document peut "
        "être publié.",
        rules=("secretary", "electronic_signature"),
        guides=("secretary", "signer"),
    ),
    "signing:batch-new": ScreenHelp(
        "Signature par lot",
        "Signer en une fois plusieurs actes qui attendent votre signature, avec votre "
        "certificat (le mot de passe est demandé, jamais conservé).",
        "Délibre signe les actes un à un, vérifie chaque signature et affiche la progression ; "
        "un acte refusé (délégation hors périmètre, certificat expiré) n'empêche pas les autres.",
        rules=("electronic_signature", "delegation"),
        guides=("signer",),
    ),
    "signing:batch": ScreenHelp(
        "Lot de signatures",
        "La progression et le résultat d'un lot : actes signés, actes refusés avec la raison.",
        "Pour un acte refusé, suivez l'indication donnée (mettre à jour le certificat, demander "
        "au titulaire de la délégation…) puis signez-le à nouveau.",
        rules=("electronic_signature", "delegation"),
        guides=("signer",),
    ),
    "signing:certificates": ScreenHelp(
        "Mes certificats",
        "Vos certificats de signature (fichiers PKCS#12) : titulaire, émetteur, dates de validité.",
        "Importez votre certificat avec son mot de passe pour vérifier qu'il s'ouvre ; le mot de "
        "passe sera redemandé à chaque signature. Remplacez un certificat avant son expiration.",
        rules=("electronic_signature",),
        guides=("signer", "secretary", "ordonnateur"),
    ),
    "signing:settings": ScreenHelp(
        "Paramètres de signature",
        "Réservé à l'administrateur : niveau PAdES, horodatage, racines de confiance, cachet "
        "serveur et politique de chaque étape de signature.",
        "Vérifiez le cachet serveur après tout changement de clé (« Tester le cachet »).",
        rules=("electronic_signature",),
        guides=("admin",),
    ),
    # --- Prefecture -----------------------------------------------------------------------------
    "actes:desk": ScreenHelp(
        "Préfecture (@ctes)",
        "Les transmissions au contrôle de légalité : actes à préparer, envois en cours, "
        "accusés de réception, courriers de la préfecture (demandes de pièces, lettres "
        "d'observations) à traiter.",
        "Préparez la transmission d'un acte signé, vérifiez l'archive puis transmettez. "
        "L'accusé de réception rend l'acte exécutoire une fois publié.",
        rules=("legality", "classification", "actes_format"),
        guides=("clerk",),
    ),
    "actes:settings": ScreenHelp(
        "Paramètres de télétransmission",
        "Réservé à l'administrateur : identifiants @ctes de la collectivité, tiers de "
        "télétransmission, certificats, et la classification de la préfecture.",
        "Téléchargez la classification en vigueur : un acte classé dans une version périmée "
        "est refusé par @ctes.",
        rules=("classification", "legality"),
        guides=("admin",),
    ),
    "actes:transmission": ScreenHelp(
        "Transmission à la préfecture",
        "Une transmission @ctes : pièces envoyées, états successifs (en attente, transmise, "
        "acquittée, en erreur, annulée) et accusé de réception.",
        "En erreur : lisez le motif, corrigez l'acte (classification, pièce) et préparez une "
        "nouvelle transmission. Acquittée : publiez l'acte pour qu'il devienne exécutoire.",
        rules=("legality", "classification", "actes_format"),
        guides=("clerk",),
    ),
    "actes:message": ScreenHelp(
        "Courrier de la préfecture",
        "Un courrier reçu par @ctes : demande de pièces complémentaires, lettre d'observations, "
        "déféré, ou nouvelle classification.",
        "Répondez dans le délai indiqué en joignant les pièces demandées, ou clôturez le "
        "courrier quand il n'appelle pas de réponse.",
        rules=("legality",),
        guides=("clerk",),
    ),
    # --- Publication ------------------------------------------------------------------------------
    "publication-staff:desk": ScreenHelp(
        "Publication",
        "Les actes et documents de séance à publier sur le site de la collectivité, ceux déjà "
        "publiés et leur caractère exécutoire.",
        "Publiez un acte signé (et transmis s'il est soumis au contrôle) : il devient "
        "exécutoire et visible sur le portail public et en open data.",
        rules=("publication", "open_data"),
        guides=("clerk",),
    ),
    "publication:index": ScreenHelp(
        "Actes publiés",
        "Le portail public : les collectivités qui publient leurs actes avec Délibre.",
        "Choisissez une collectivité pour lire ses actes, ses séances et ses données ouvertes.",
        rules=("publication",),
    ),
    "publication:acts": ScreenHelp(
        "Actes publiés de la collectivité",
        "Les actes publiés, du plus récent au plus ancien, avec leur date de mise en ligne.",
        "Ouvrez un acte pour le lire en entier, télécharger le PDF signé et vérifier sa signature.",
        rules=("publication",),
    ),
    "publication:act": ScreenHelp(
        "Acte publié",
        "Un acte publié en intégralité : auteur, qualité, date de mise en ligne, date de "
        "transmission à la préfecture, PDF signé.",
        "Téléchargez le PDF ; la page de vérification confirme qu'il est identique à l'original.",
        rules=("publication", "electronic_signature"),
    ),
    "publication:seances": ScreenHelp(
        "Séances publiées",
        "Les séances de l'assemblée avec la liste des délibérations et le procès-verbal.",
        "Ouvrez une séance pour lire ses documents.",
        rules=("publication", "secretary"),
    ),
    "publication:seance": ScreenHelp(
        "Séance publiée",
        "Les documents publiés d'une séance : liste des délibérations, procès-verbal, et les "
        "actes adoptés.",
        "Téléchargez les PDF ou ouvrez chaque acte.",
        rules=("publication",),
    ),
    "publication:opendata": ScreenHelp(
        "Données ouvertes",
        "Les délibérations publiées en CSV et JSON selon le schéma SCDL, et leur flux Atom.",
        "Réutilisez librement ces données (licence ouverte).",
        rules=("open_data",),
    ),
    # --- Treasury flows (PES) -------------------------------------------------------------------
    "pes-flow-list": ScreenHelp(
        "Flux comptables (PES)",
        "Les flux PES V2 de mandats et de titres : importés du logiciel financier ou construits "
        "ici, en circuit, signés, envoyés, acquittés ou rejetés par la trésorerie.",
        "Importez un flux, envoyez-le dans son circuit ; l'ordonnateur signe ses bordereaux ; "
        "le flux signé part à la trésorerie, qui renvoie un acquit.",
        rules=("pes_signature",),
        guides=("ordonnateur", "treasury", "clerk"),
    ),
    "pes-flow-import": ScreenHelp(
        "Importer un flux PES",
        "Déposer un fichier PES V2 (XML) produit par le logiciel financier. Il est contrôlé "
        "contre les schémas de la DGFiP et les règles Hélios avant d'être accepté.",
        "Un gros fichier est importé en arrière-plan avec une barre de progression. Un fichier "
        "refusé liste chaque anomalie (ligne, champ, raison) : corrigez-le dans le logiciel "
        "financier et importez-le à nouveau.",
        rules=("pes_signature",),
        guides=("ordonnateur", "clerk"),
    ),
    "pes-import-detail": ScreenHelp(
        "Import en cours",
        "La progression de l'import d'un flux PES et ses éventuelles anomalies.",
        "Une fois l'import terminé, ouvrez le flux pour l'envoyer dans son circuit.",
        guides=("ordonnateur", "clerk"),
    ),
    "pes-treasury": ScreenHelp(
        "Trésorerie",
        "Pour le comptable public : les flux signés reçus, la vérification de leurs signatures "
        "XAdES et l'envoi des acquits ou des rejets.",
        "Vérifiez le flux, puis acquittez-le ou rejetez-le en indiquant le motif : l'ordonnateur "
        "en est averti.",
        rules=("pes_signature",),
        guides=("treasury",),
    ),
    "pes-returns": ScreenHelp(
        "Retours de la trésorerie",
        "Les acquits et rejets (PES_Acquit) reçus pour les flux envoyés.",
        "Un rejet indique le bordereau et la raison : corrigez dans le logiciel financier puis "
        "envoyez un nouveau flux (avec un nouvel IdUnique).",
        rules=("pes_signature",),
        guides=("ordonnateur", "treasury"),
    ),
    "pes-settings": ScreenHelp(
        "Paramètres PES",
        "Réservé à l'administrateur : identifiants Hélios de la collectivité (IdColl, CodCol, "
        "CodBud, IdPost), dossiers d'échange et politique de signature.",
        "Vérifiez ces identifiants avec votre trésorerie : un identifiant faux fait rejeter "
        "tous les flux.",
        rules=("pes_signature",),
        guides=("admin",),
    ),
    "pes-build-list": ScreenHelp(
        "Construire un flux",
        "Les actes avec une incidence budgétaire pour lesquels un flux PES (pièce justificative) "
        "peut être construit.",
        "Choisissez un acte pour préparer son bordereau.",
        guides=("ordonnateur", "clerk"),
    ),
    "pes-build": ScreenHelp(
        "Préparer un bordereau",
        "Construire un flux PES V2 à partir d'un acte : bordereau, pièces, pièce justificative "
        "jointe.",
        "Le flux construit est contrôlé comme un flux importé, puis envoyé dans son circuit.",
        rules=("pes_signature",),
        guides=("ordonnateur", "clerk"),
    ),
    "pes-flow-detail": ScreenHelp(
        "Fiche du flux PES",
        "Un flux PES : bordereaux, pièces, circuit, signatures, envoi et retours de la trésorerie.",
        "En circuit : visez ou signez chaque bordereau (l'ordonnateur signe). Signé : envoyez "
        "le flux. Rejeté : lisez le motif et corrigez-le à la source.",
        rules=("pes_signature", "delegation"),
        guides=("ordonnateur", "treasury"),
    ),
    "pes-bordereau": ScreenHelp(
        "Bordereau",
        "Un bordereau de mandats ou de titres : ses pièces, montants, tiers et pièces "
        "justificatives.",
        "Revenez au flux pour signer l'ensemble des bordereaux.",
        rules=("pes_signature",),
        guides=("ordonnateur", "treasury"),
    ),
    "pes-flow-sign": ScreenHelp(
        "Signer le flux",
        "Signer chaque bordereau du flux avec votre certificat d'ordonnateur (signature XAdES "
        "du profil Hélios).",
        "Saisissez le mot de passe de votre certificat ; la signature est vérifiée aussitôt. Le "
        "flux signé peut être envoyé à la trésorerie.",
        rules=("pes_signature", "delegation", "electronic_signature"),
        guides=("ordonnateur",),
    ),
    "pes-report": ScreenHelp(
        "Rapport de vérification",
        "Le rapport de vérification des signatures d'un flux : pour chaque bordereau, la "
        "signature, le certificat, la politique Hélios.",
        "Un bordereau non conforme doit être signé à nouveau par l'ordonnateur avant l'acquit.",
        rules=("pes_signature",),
        guides=("treasury",),
    ),
    # --- Accounts -------------------------------------------------------------------------------
    "login": ScreenHelp(
        "Connexion",
        "Se connecter avec son identifiant et son mot de passe.",
        "Après plusieurs échecs, le compte est bloqué quelques minutes : attendez, ou demandez "
        "à l'administrateur de réinitialiser votre mot de passe. Si la double authentification "
        "est active, un code vous est ensuite demandé.",
    ),
    "login-verify": ScreenHelp(
        "Second facteur",
        "Saisir le code à six chiffres de votre application d'authentification, ou un code de "
        "secours.",
        "Un code ne sert qu'une fois ; si vous avez perdu votre téléphone, utilisez un code de "
        "secours puis réactivez la double authentification.",
    ),
    "two-factor": ScreenHelp(
        "Double authentification",
        "Activer la double authentification : scannez le code QR avec une application "
        "(FreeOTP, Aegis…) puis saisissez le code affiché.",
        "Conservez les codes de secours affichés ensuite : ils remplacent votre téléphone en "
        "cas de perte.",
    ),
    # --- History and training (owned by their apps, help written here) -----------------------
    "history:import": ScreenHelp(
        "Reprise de l'historique",
        "Réservé à l'administrateur : importer les actes passés, élus et mandats, "
        "classification et accusés de réception depuis l'export de l'ancien outil (manifeste "
        "CSV ou JSON et fichiers).",
        "Lancez d'abord la vérification : chaque problème est listé (ligne, champ, raison) sans "
        "rien écrire. Importez ensuite ; refaire le même import ne change rien.",
        guides=("admin",),
    ),
    "history:batch": ScreenHelp(
        "Lot importé",
        "Le résultat d'un import d'historique : actes repris, signatures vérifiées, anomalies.",
        "Les actes repris gardent leurs numéros et dates ; ils peuvent être publiés et "
        "apparaissent dans les données ouvertes.",
        rules=("publication",),
        guides=("admin",),
    ),
    "training:list": ScreenHelp(
        "Bacs à sable de formation",
        "Réservé à l'administrateur : des collectivités fictives, remplies des données de "
        "démonstration, pour former les agents sans risque.",
        "Créez un bac à sable, donnez-en l'accès aux stagiaires, réinitialisez-le entre deux "
        "sessions. Rien n'en est jamais transmis (ni préfecture, ni trésorerie, ni courriel).",
        guides=("admin",),
    ),
    # --- The guide itself -----------------------------------------------------------------------
    "guide:index": ScreenHelp(
        "Guide d'utilisation",
        "Le guide de Délibre, un chapitre par rôle, illustré de captures d'écran de l'application.",
        "Ouvrez le chapitre de votre rôle, ou relancez la visite guidée depuis ce menu Aide.",
    ),
    "guide:role": ScreenHelp(
        "Guide d'un rôle",
        "Le travail quotidien d'un rôle, écran par écran, avec les règles qui s'appliquent.",
        "Suivez les étapes dans l'application ; la visite guidée les montre sur les vrais écrans.",
    ),
}


#: Named URLs that are not screens of their own, with the reason (POST actions redirect to a
#: screen, htmx fragments live inside a screen, files are downloads).
NOT_SCREENS: dict[str, str] = {
    # POST actions: they redirect back to a screen, which carries the help.
    "switch-collectivite": "POST action",
    "act-annex-add": "POST action",
    "act-action": "POST action",
    "annex-remove": "POST action",
    "seance-action": "POST action",
    "item-action": "POST action",
    "settings-save": "POST action",
    "mandate-add": "POST action",
    "delegation-revoke": "POST action",
    "notifications-read": "POST action",
    "circuit-start": "POST action",
    "step-approve": "POST action",
    "step-reject": "POST action",
    "step-skip": "POST action",
    "step-opinion": "POST action",
    "opinion-answer": "POST action",
    "run-recall": "POST action",
    "circuit-deactivate": "POST action",
    "group-create": "POST action",
    "group-edit": "POST action",
    "exports:act-request": "POST action",
    "exports:seance-request": "POST action",
    "signing:sign-step": "POST action",
    "signing:sign-document": "POST action",
    "signing:certificate-delete": "POST action",
    "signing:settings-save": "POST action",
    "signing:root-add": "POST action",
    "signing:root-toggle": "POST action",
    "signing:seal-check": "POST action",
    "signing:step-policy": "POST action",
    "actes:import": "POST action",
    "actes:poll": "POST action",
    "actes:fetch-classification": "POST action",
    "actes:prepare": "POST action",
    "actes:transmit": "POST action",
    "actes:discard": "POST action",
    "actes:reconcile": "POST action",
    "actes:cancel": "POST action",
    "actes:answer": "POST action",
    "actes:close": "POST action",
    "actes:import-classification": "POST action",
    "publication-staff:publish": "POST action",
    "publication-staff:unpublish": "POST action",
    "publication-staff:publish-seance-document": "POST action",
    "publication-staff:unpublish-seance-document": "POST action",
    "pes-flow-start": "POST action",
    "pes-flow-visa": "POST action",
    "pes-flow-reject": "POST action",
    "pes-flow-recall": "POST action",
    "pes-flow-withdraw": "POST action",
    "pes-flow-send": "POST action",
    "pes-transmission-retry": "POST action",
    "pes-flow-acquit": "POST action",
    "pes-flow-verify": "POST action",
    "history:check": "POST action",
    "history:confirm": "POST action",
    "history:cancel": "POST action",
    "training:create": "POST action",
    "training:reset": "POST action",
    "guide:tour-seen": "POST action",
    "set_language": "POST action",
    "logout": "POST action",
    # htmx fragments, shown inside a screen.
    "exports:act-panel": "htmx fragment",
    "exports:seance-panel": "htmx fragment",
    "exports:status": "htmx fragment",
    "exports:pack-progress": "htmx fragment",
    "signing:batch-progress": "htmx fragment",
    "pes-import-progress": "htmx fragment",
    # Files, data and feeds.
    "annex-download": "file download",
    "exports:convocations-zip": "file download",
    "exports:view": "file download",
    "exports:download": "file download",
    "exports:preview-css": "stylesheet",
    "signing:version-file": "file download",
    "signing:version-report": "JSON report",
    "actes:archive": "file download",
    "actes:message-file": "file download",
    "actes:message-document": "file download",
    "pes-return-download": "file download",
    "pes-attachment": "file download",
    "pes-flow-download": "file download",
    "pes-flow-download-original": "file download",
    "publication:feed": "Atom feed",
    "publication:opendata-csv": "CSV data",
    "publication:opendata-json": "JSON data",
    "publication:seance-pdf": "file download",
    "publication:act-pdf": "file download",
    "exports:act-preview": "the printed act itself, as a web page (its banner links back)",
    "guide:image": "image",
    "guide:tour": "JSON data",
    "guide:tour-status": "JSON data",
}


def help_for(view_name: str | None) -> ScreenHelp | None:
    if not view_name:
        return None
    return SCREENS.get(view_name)


def rules_for(screen: ScreenHelp) -> list[Rule]:
    return [RULES[key] for key in screen.rules]
